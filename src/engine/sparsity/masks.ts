// The mask library's array cores (no tensors): exact selection under a total order, on
// scores already read back to the CPU. The SyncCP maskers (maskers/) are built on them:
// unstructured (per layer or one global ranking), channel (a per-output-channel keep
// expanded over a tfjs kernel [kh, kw, C_in, C_out]) and N:M (N KEPT out of every M
// consecutive input channels, axis 2 of the kernel), several fractions from one ranking
// so the masks nest. NaN scores rank as -Infinity (kept last).

import { checkInteger, checkNM, checkShape, checkUnit, fail, keptCount } from './validate';

export { keptCount, keptInLayer } from './validate';

type Values = ArrayLike<number>;

function clean(v: number): number {
  return Number.isNaN(v) ? -Infinity : v;
}

// ---------------------------------------------------------------------------
// Pure array kernels (no tensors): exact selection under a total order.
// ---------------------------------------------------------------------------

/**
 * Keep the k largest values, ties broken by lower index, so exactly k entries are 1.
 * The order (value desc, index asc) is total, hence selectTopK(v, k1) ⊆ selectTopK(v, k2)
 * whenever k1 ≤ k2. Returns a 0/1 Uint8Array of values.length.
 */
export function selectTopK(values: Values, k: number): Uint8Array {
  const n = values.length;
  checkInteger('selectTopK', 'k', k, 0);
  if (k > n) fail('selectTopK', `k must be ≤ the number of values (got k=${k}, n=${n})`);
  const keep = new Uint8Array(n);
  if (k === 0) return keep;
  if (k === n) return keep.fill(1);
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = clean(values[i]);
  sorted.sort();
  const t = sorted[n - k]; // the k-th largest value
  let greater = 0;
  for (let i = 0; i < n; i++) if (clean(values[i]) > t) greater++;
  let ties = k - greater;
  for (let i = 0; i < n; i++) {
    const v = clean(values[i]);
    if (v > t) keep[i] = 1;
    else if (v === t && ties > 0) {
      keep[i] = 1;
      ties--;
    }
  }
  return keep;
}

/**
 * N:M masks for several fractions at once from one ranking (used for nesting).
 * Full groups are enumerated in row-major order of their first element, i.e. by
 * (kh, kw, group, C_out); that order is the "group index" used to break ties.
 */
function nmKeepMany(
  values: Values,
  shape: readonly number[],
  n: number,
  m: number,
  fractions: readonly number[],
): Uint8Array[] {
  const [kh, kw, cIn, cOut] = shape;
  const outer = kh * kw;
  const G = Math.floor(cIn / m);
  const total = outer * G * cOut;
  // first flat element of group gi = ((r·G + g)·C_out + o): r·C_in·C_out + g·m·C_out + o
  const first = new Int32Array(total);
  const negSum = new Float64Array(total);
  let gi = 0;
  for (let r = 0; r < outer; r++) {
    for (let g = 0; g < G; g++) {
      for (let o = 0; o < cOut; o++, gi++) {
        const base = r * cIn * cOut + g * m * cOut + o;
        first[gi] = base;
        let s = 0;
        for (let j = 0; j < m; j++) s += clean(values[base + j * cOut]);
        negSum[gi] = Number.isNaN(s) ? Infinity : -s; // lowest group score first
      }
    }
  }
  // n-of-m pattern of every full group (shared by all fractions, so nesting holds).
  const order = new Array<number>(m);
  const local = new Float64Array(m);
  const pattern = new Uint8Array(values.length).fill(1);
  for (let q = 0; q < total; q++) {
    const base = first[q];
    for (let j = 0; j < m; j++) {
      order[j] = j;
      local[j] = clean(values[base + j * cOut]);
    }
    order.sort((a, b) => (local[b] > local[a] ? 1 : local[b] < local[a] ? -1 : a - b));
    for (let j = n; j < m; j++) pattern[base + order[j] * cOut] = 0;
  }
  return fractions.map((f) => {
    const keep = new Uint8Array(values.length).fill(1);
    const chosen = selectTopK(negSum, keptCount(f, total));
    for (let q = 0; q < total; q++) {
      if (!chosen[q]) continue;
      const base = first[q];
      for (let j = 0; j < m; j++) keep[base + j * cOut] = pattern[base + j * cOut];
    }
    return keep;
  });
}

/**
 * Array form of the N:M masks (no tensors, no readback): one 0/1 mask per fraction,
 * all from the same n-of-m pattern and group ranking, so a larger fraction's mask is a
 * subset of a smaller one's. For callers that already hold the scores on the CPU.
 */
export function nmKeepArrays(values: Values, shape: readonly number[], n: number, m: number, fractions: readonly number[]): Uint8Array[] {
  checkShape('nmKeepArrays', 'shape', shape, 4);
  checkNM('nmKeepArrays', n, m);
  fractions.forEach((f, i) => checkUnit('nmKeepArrays', `fractions[${i}]`, f));
  if (values.length !== shape.reduce((a, b) => a * b, 1)) fail('nmKeepArrays', `values must have ${shape.join('·')} entries (got ${values.length})`);
  return nmKeepMany(values, shape, n, m, fractions);
}

/**
 * One ranking over several score arrays: the largest scores across arrays, ties by
 * (array index, flat index), round(density·Σn) ones in total — but at density > 0 each
 * non-empty array keeps at least its own largest (as keptInLayer does per layer: a layer
 * keeping nothing computes zeros, and the global cut-off could empty a whole conv). Those
 * are taken first, the rest from one ranking of everything else: max(round(d·Σn), L) ones
 * for L non-empty arrays. Shared scores at two densities still give nested masks.
 */
export function globalTopKArrays(arrays: readonly Values[], density: number): Uint8Array[] {
  checkUnit('globalTopKArrays', 'density', density);
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const out = arrays.map((a) => (density > 0 && a.length > 0 ? selectTopK(a, 1) : new Uint8Array(a.length)));
  const reserved = out.reduce((s, m) => s + (m.length > 0 && density > 0 ? 1 : 0), 0);
  const rest = Math.max(0, keptCount(density, total) - reserved);
  if (rest === 0) return out;
  // Everything not reserved, in (array, index) order, ranked once.
  const others = new Float64Array(total - reserved);
  let j = 0;
  arrays.forEach((a, k) => {
    for (let i = 0; i < a.length; i++) if (!out[k][i]) others[j++] = a[i];
  });
  const keep = selectTopK(others, rest);
  j = 0;
  arrays.forEach((a, k) => {
    for (let i = 0; i < a.length; i++) if (!out[k][i]) out[k][i] = keep[j++];
  });
  return out;
}

/** A per-output-channel keep (C_out) as a full kernel mask of `size` entries (C_out is the last, fastest axis). */
export function expandChannelKeep(keepChannels: Uint8Array, size: number): Uint8Array {
  const cOut = keepChannels.length;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = keepChannels[i % cOut];
  return out;
}
