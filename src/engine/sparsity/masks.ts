// Weight masks for SyncCP: 0/1 float32 tensors of the scored tensor's shape.
// Unstructured (per tensor or global, exact top-k, ties by lower flat index),
// channel (whole output channels, the last axis of a tfjs conv kernel
// [kh, kw, C_in, C_out]) and N:M (N KEPT out of every M consecutive input channels,
// axis 2 of [kh, kw, C_in, C_out]), plus nested pairs (sparser ⊆ denser) ranked from
// one set of scores. Masks are computed outside the gradient tape: each function reads
// its scores back once (dataSync, or data() in the *Async variants, which the WebGPU
// backend prefers), ranks on the CPU with an exact total order and uploads the mask.
// NaN scores rank as -Infinity (kept last). No tensor is left behind except the result.

import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNM, checkShape, checkUnit, fail, keptCount } from './validate';

export { keptCount } from './validate';

export type ChannelNorm = 'l1' | 'l2';

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

/** Number of full groups and tail of an N:M split of a kernel [kh, kw, C_in, C_out]. */
export interface NMGroupInfo {
  /** Rows of C_in: kh · kw · C_out. */
  rows: number;
  /** Full groups of m consecutive input channels in each row: floor(C_in / m). */
  groupsPerRow: number;
  /** Full groups in the whole kernel: rows · groupsPerRow. */
  numFullGroups: number;
  /** Input channels left over at the end of each row (kept dense): C_in mod m. */
  tailSize: number;
  /** Weights in tail groups over the whole kernel: rows · tailSize. */
  tailElements: number;
}

export function nmGroupInfo(shape: readonly number[], m: number): NMGroupInfo {
  checkShape('nmGroupInfo', 'shape', shape, 4);
  checkInteger('nmGroupInfo', 'm', m, 1);
  const [kh, kw, cIn, cOut] = shape;
  const rows = kh * kw * cOut;
  const groupsPerRow = Math.floor(cIn / m);
  const tailSize = cIn % m;
  return { rows, groupsPerRow, numFullGroups: rows * groupsPerRow, tailSize, tailElements: rows * tailSize };
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

// ---------------------------------------------------------------------------
// Tensor helpers
// ---------------------------------------------------------------------------

function toMask<T extends tf.Tensor>(keep: Uint8Array, shape: readonly number[]): T {
  return tf.tensor(Float32Array.from(keep), shape.slice(), 'float32') as T;
}

function checkRank(fn: string, name: string, t: tf.Tensor, rank: number): void {
  if (t.rank !== rank) fail(fn, `${name} must have rank ${rank} (got shape [${t.shape.join(', ')}])`);
}

function checkSameShape(fn: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    fail(fn, `mask shapes differ (got [${a.shape.join(', ')}] and [${b.shape.join(', ')}])`);
  }
}

/** Per-output-channel score (last axis): L1 norm, or squared L2 norm (same order as L2). */
function channelScoreTensor(kernel: tf.Tensor4D, norm: ChannelNorm): tf.Tensor1D {
  return tf.tidy(() => tf.sum(norm === 'l1' ? tf.abs(kernel) : tf.square(kernel), [0, 1, 2]) as tf.Tensor1D);
}

function readSync(t: tf.Tensor): Values {
  return t.dataSync() as Values;
}

function broadcastChannels(keep: Uint8Array, shape: readonly number[]): tf.Tensor4D {
  return tf.tidy(() =>
    tf.broadcastTo(tf.tensor4d(Float32Array.from(keep), [1, 1, 1, keep.length], 'float32'), shape.slice() as [number, number, number, number]),
  ) as tf.Tensor4D;
}

function checkNorm(fn: string, norm: ChannelNorm): void {
  if (norm !== 'l1' && norm !== 'l2') fail(fn, `norm must be 'l1' or 'l2' (got norm=${String(norm)})`);
}

// ---------------------------------------------------------------------------
// Unstructured
// ---------------------------------------------------------------------------

/** Keep exactly round(density·n) largest scores; ties by lower flat index. */
export function unstructuredMask(scores: tf.Tensor, density: number): tf.Tensor {
  checkUnit('unstructuredMask', 'density', density);
  const v = readSync(scores);
  return toMask(selectTopK(v, keptCount(density, v.length)), scores.shape);
}

export async function unstructuredMaskAsync(scores: tf.Tensor, density: number): Promise<tf.Tensor> {
  checkUnit('unstructuredMaskAsync', 'density', density);
  const v = (await scores.data()) as Values;
  return toMask(selectTopK(v, keptCount(density, v.length)), scores.shape);
}

/**
 * One ranking over several score arrays: exactly round(density·Σn) ones in total, the
 * largest scores across arrays; ties by (array index, flat index).
 */
export function globalTopKArrays(arrays: Values[], density: number): Uint8Array[] {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const all = new Float64Array(total);
  let off = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) all[off + i] = a[i];
    off += a.length;
  }
  const keep = selectTopK(all, keptCount(density, total));
  off = 0;
  return arrays.map((a) => {
    const part = keep.slice(off, off + a.length);
    off += a.length;
    return part;
  });
}

function globalFromArrays(arrays: Values[], shapes: number[][], density: number): tf.Tensor[] {
  return globalTopKArrays(arrays, density).map((keep, i) => toMask(keep, shapes[i]));
}

/** A per-output-channel keep (C_out) as a full kernel mask of `size` entries (C_out is the last, fastest axis). */
export function expandChannelKeep(keepChannels: Uint8Array, size: number): Uint8Array {
  const cOut = keepChannels.length;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = keepChannels[i % cOut];
  return out;
}

/**
 * One threshold over all tensors: exactly round(density·Σn) ones in total, the largest
 * scores across tensors; ties by (tensor index, flat index).
 */
export function globalUnstructuredMasks(scores: tf.Tensor[], density: number): tf.Tensor[] {
  checkUnit('globalUnstructuredMasks', 'density', density);
  return globalFromArrays(scores.map(readSync), scores.map((s) => s.shape), density);
}

export async function globalUnstructuredMasksAsync(scores: tf.Tensor[], density: number): Promise<tf.Tensor[]> {
  checkUnit('globalUnstructuredMasksAsync', 'density', density);
  const arrays = (await Promise.all(scores.map((s) => s.data()))) as Values[];
  return globalFromArrays(arrays, scores.map((s) => s.shape), density);
}

// ---------------------------------------------------------------------------
// Channel (structured: whole output channels)
// ---------------------------------------------------------------------------

/**
 * Keep round(density·C_out) output channels (last axis) with the largest L1 (default)
 * or L2 norm of their filter, ties by lower channel index; the mask is constant over
 * kh, kw and C_in.
 */
export function channelMask(kernel: tf.Tensor4D, density: number, norm: ChannelNorm = 'l1'): tf.Tensor4D {
  checkRank('channelMask', 'kernel', kernel, 4);
  checkUnit('channelMask', 'density', density);
  checkNorm('channelMask', norm);
  const s = channelScoreTensor(kernel, norm);
  const v = s.dataSync();
  s.dispose();
  return broadcastChannels(selectTopK(v, keptCount(density, v.length)), kernel.shape);
}

export async function channelMaskAsync(
  kernel: tf.Tensor4D,
  density: number,
  norm: ChannelNorm = 'l1',
): Promise<tf.Tensor4D> {
  checkRank('channelMaskAsync', 'kernel', kernel, 4);
  checkUnit('channelMaskAsync', 'density', density);
  checkNorm('channelMaskAsync', norm);
  const s = channelScoreTensor(kernel, norm);
  const v = await s.data();
  s.dispose();
  return broadcastChannels(selectTopK(v, keptCount(density, v.length)), kernel.shape);
}

// ---------------------------------------------------------------------------
// N:M (N kept out of every M consecutive input channels)
// ---------------------------------------------------------------------------

function checkNMArgs(fn: string, scores: tf.Tensor, n: number, m: number, fraction: number): void {
  checkRank(fn, 'scores', scores, 4);
  checkNM(fn, n, m);
  checkUnit(fn, 'fraction', fraction);
}

/**
 * For each (kh, kw, C_out) row of C_in, split into groups of m consecutive input
 * channels and keep the n largest scores of a group (ties by lower index). A tail group
 * shorter than m stays dense. With fraction < 1 only round(fraction·numFullGroups)
 * groups are made N:M — those with the lowest group score (sum of its scores), ties by
 * group index (row-major order of the group's first element) — the rest stay dense.
 */
export function nmMask(scores: tf.Tensor4D, n: number, m: number, fraction = 1): tf.Tensor4D {
  checkNMArgs('nmMask', scores, n, m, fraction);
  return toMask<tf.Tensor4D>(nmKeepMany(readSync(scores), scores.shape, n, m, [fraction])[0], scores.shape);
}

export async function nmMaskAsync(scores: tf.Tensor4D, n: number, m: number, fraction = 1): Promise<tf.Tensor4D> {
  checkNMArgs('nmMaskAsync', scores, n, m, fraction);
  const v = (await scores.data()) as Values;
  return toMask<tf.Tensor4D>(nmKeepMany(v, scores.shape, n, m, [fraction])[0], scores.shape);
}

/** True iff every full group of m input channels has exactly n nonzero entries (tail ignored). */
export function isNM(mask: tf.Tensor4D, n: number, m: number): boolean {
  checkRank('isNM', 'mask', mask, 4);
  checkNM('isNM', n, m);
  const v = readSync(mask);
  const [kh, kw, cIn, cOut] = mask.shape;
  const G = Math.floor(cIn / m);
  for (let r = 0; r < kh * kw; r++) {
    for (let g = 0; g < G; g++) {
      for (let o = 0; o < cOut; o++) {
        const base = r * cIn * cOut + g * m * cOut + o;
        let ones = 0;
        for (let j = 0; j < m; j++) if (v[base + j * cOut] !== 0) ones++;
        if (ones !== n) return false;
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Nested pairs (SyncCP, scores: shared)
// ---------------------------------------------------------------------------

/**
 * What to nest. Densities are fractions of weights (unstructured) or of output channels
 * (channel) kept; for N:M the two numbers are fractions of full groups made N:M, so the
 * sparser mask has the LARGER fraction.
 */
export type NestedMaskSpec =
  | { granularity: 'unstructured'; sparserDensity: number; denserDensity: number }
  | { granularity: 'channel'; sparserDensity: number; denserDensity: number; norm?: ChannelNorm }
  | { granularity: 'nm'; n: number; m: number; sparserFraction: number; denserFraction: number };

export interface NestedMasks<T extends tf.Tensor = tf.Tensor> {
  sparser: T;
  denser: T;
}

function checkNested(fn: string, scores: tf.Tensor, spec: NestedMaskSpec): void {
  if (spec.granularity === 'nm') {
    checkNMArgs(fn, scores, spec.n, spec.m, spec.sparserFraction);
    checkUnit(fn, 'denserFraction', spec.denserFraction);
    if (spec.sparserFraction < spec.denserFraction) {
      fail(
        fn,
        `sparserFraction must be ≥ denserFraction (got sparserFraction=${spec.sparserFraction}, denserFraction=${spec.denserFraction})`,
      );
    }
    return;
  }
  if (spec.granularity !== 'unstructured' && spec.granularity !== 'channel') {
    fail(fn, `granularity must be 'unstructured', 'channel' or 'nm' (got granularity=${String((spec as { granularity: unknown }).granularity)})`);
  }
  if (spec.granularity === 'channel') {
    checkRank(fn, 'scores', scores, 4);
    checkNorm(fn, spec.norm ?? 'l1');
  }
  checkUnit(fn, 'sparserDensity', spec.sparserDensity);
  checkUnit(fn, 'denserDensity', spec.denserDensity);
  if (spec.sparserDensity > spec.denserDensity) {
    fail(
      fn,
      `sparserDensity must be ≤ denserDensity (got sparserDensity=${spec.sparserDensity}, denserDensity=${spec.denserDensity})`,
    );
  }
}

function nestedFromValues(v: Values, shape: readonly number[], spec: NestedMaskSpec): NestedMasks {
  if (spec.granularity === 'nm') {
    const [s, d] = nmKeepMany(v, shape, spec.n, spec.m, [spec.sparserFraction, spec.denserFraction]);
    return { sparser: toMask(s, shape), denser: toMask(d, shape) };
  }
  const n = v.length;
  if (spec.granularity === 'unstructured') {
    return {
      sparser: toMask(selectTopK(v, keptCount(spec.sparserDensity, n)), shape),
      denser: toMask(selectTopK(v, keptCount(spec.denserDensity, n)), shape),
    };
  }
  // channel: v holds per-channel scores here
  return {
    sparser: broadcastChannels(selectTopK(v, keptCount(spec.sparserDensity, n)), shape),
    denser: broadcastChannels(selectTopK(v, keptCount(spec.denserDensity, n)), shape),
  };
}

/**
 * Two masks ranked from ONE set of scores, so sparser ⊆ denser by construction.
 * unstructured: top round(d·n) of the same total order; channel: the same channel
 * ranking; N:M: the same n-of-m pattern per group, and the denser mask's N:M groups are
 * a subset of the sparser mask's (lowest group scores first).
 */
export function nestedMasks(scores: tf.Tensor, spec: NestedMaskSpec): NestedMasks {
  checkNested('nestedMasks', scores, spec);
  if (spec.granularity === 'channel') {
    const s = channelScoreTensor(scores as tf.Tensor4D, spec.norm ?? 'l1');
    const v = s.dataSync();
    s.dispose();
    return nestedFromValues(v, scores.shape, spec);
  }
  return nestedFromValues(readSync(scores), scores.shape, spec);
}

export async function nestedMasksAsync(scores: tf.Tensor, spec: NestedMaskSpec): Promise<NestedMasks> {
  checkNested('nestedMasksAsync', scores, spec);
  if (spec.granularity === 'channel') {
    const s = channelScoreTensor(scores as tf.Tensor4D, spec.norm ?? 'l1');
    const v = await s.data();
    s.dispose();
    return nestedFromValues(v, scores.shape, spec);
  }
  return nestedFromValues((await scores.data()) as Values, scores.shape, spec);
}

/**
 * Measured nestedness (for `scores: per-branch`): the fraction of the sparser mask's
 * ones that are also ones of the denser mask; 1 when the sparser mask is empty.
 */
export function nestedFraction(sparser: tf.Tensor, denser: tf.Tensor): number {
  checkSameShape('nestedFraction', sparser, denser);
  const a = readSync(sparser);
  const b = readSync(denser);
  let ones = 0;
  let both = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== 0) {
      ones++;
      if (b[i] !== 0) both++;
    }
  }
  return ones === 0 ? 1 : both / ones;
}
