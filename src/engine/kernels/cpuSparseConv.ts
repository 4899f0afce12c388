// A conv over a masked kernel that skips the masked weights (cpu backend, NHWC, no
// dilation): the kept weights are stored row by row — one row per (filter row, filter
// column, input channel), listing the output channels it keeps (CSR). One format serves
// every granularity SyncCP makes: N:M keeps N of every M input channels per (position,
// output), so each row keeps about N/M of its outputs; channel pruning leaves pruned
// outputs out of every row; unstructured masks are rows of any length. Work is
// proportional to the kept weights: forward, input gradient and weight gradient (the
// weight gradient only at kept positions — masked weights get none anyway).
//
// The loops are those of the dense kernels (cpuConv2D.ts) with the inner loop over the
// kept outputs of a row instead of all K: forward and weight gradient still skip zero
// inputs (post-ReLU activations). Sums run in another order than the dense kernel's, so
// results agree with the masked dense conv to float32 rounding, not bit for bit.
import { convTapPairs, convTaps } from './convTaps';
import type { ConvGeometry } from './cpuConv2D';

/** Where a masked kernel [FH, FW, C, K] keeps weights: rows (fy, fx, c), their kept output channels. */
export interface RowSparsePattern {
  rows: number;
  K: number;
  /** rowStart[r]..rowStart[r+1] index `cols` for row r = (fy·FW + fx)·C + c; length rows + 1. */
  rowStart: Int32Array;
  /** The kept output channel of each kept weight. */
  cols: Int32Array;
  /** Kept weights / all weights. */
  density: number;
  /** Output channels with at least one kept weight, ascending (the rest are pruned whole). */
  keptOutputs: Int32Array;
}

/** The pattern of a 0/1 mask laid out as a conv kernel [FH, FW, C, K] (any nonzero keeps). */
export function rowSparsePattern(mask: ArrayLike<number>, K: number): RowSparsePattern {
  if (!(K > 0) || mask.length % K !== 0) throw new Error(`rowSparsePattern: mask length ${mask.length} is not a multiple of K = ${K}`);
  const rows = mask.length / K;
  let nnz = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) nnz++;
  const rowStart = new Int32Array(rows + 1);
  const cols = new Int32Array(nnz);
  for (let r = 0, j = 0; r < rows; r++) {
    rowStart[r] = j;
    const off = r * K;
    for (let k = 0; k < K; k++) if (mask[off + k] !== 0) cols[j++] = k;
  }
  rowStart[rows] = nnz;
  const any = new Uint8Array(K);
  for (let j = 0; j < nnz; j++) any[cols[j]] = 1;
  const keptOutputs = Int32Array.from({ length: K }, (_, k) => k).filter((k) => any[k] === 1);
  return { rows, K, rowStart, cols, density: mask.length === 0 ? 0 : nnz / mask.length, keptOutputs };
}

/** The kept weights of w [FH, FW, C, K] in the pattern's order. */
export function gatherKept(w: ArrayLike<number>, p: RowSparsePattern): Float32Array {
  const v = new Float32Array(p.cols.length);
  for (let r = 0; r < p.rows; r++) {
    const off = r * p.K;
    for (let j = p.rowStart[r]; j < p.rowStart[r + 1]; j++) v[j] = w[off + p.cols[j]];
  }
  return v;
}

/** Scatter per-kept-weight values back to a dense kernel (zeros elsewhere). */
export function scatterKept(values: Float32Array, p: RowSparsePattern): Float32Array {
  const out = new Float32Array(p.rows * p.K);
  for (let r = 0; r < p.rows; r++) {
    const off = r * p.K;
    for (let j = p.rowStart[r]; j < p.rowStart[r + 1]; j++) out[off + p.cols[j]] = values[j];
  }
  return out;
}

function checkShape(p: RowSparsePattern, g: ConvGeometry): void {
  if (p.rows !== g.FH * g.FW * g.C || p.K !== g.K) throw new Error(`sparse conv: pattern [${p.rows}×${p.K}] does not fit a ${g.FH}×${g.FW}×${g.C}×${g.K} kernel`);
}

/** A buffer the loops index (typed arrays from any backend). */
type Buf = { [i: number]: number; readonly length: number };

/**
 * The nonzero channels of each pixel of an NHWC input [pixels, C]: count per pixel, then
 * their channel indices and values packed from pixel·C. Built once per input and read by
 * every tap (9 for a 3×3 conv) of the forward and the weight gradient: the loops then visit
 * only nonzero inputs without a branch per input, which at the ~50% zeros of post-ReLU
 * activations the branch predictor misses half the time, a cost comparable to a short row.
 */
export interface NonzeroLists { count: Int32Array; channel: Int32Array; value: Float32Array }

export function nonzeroLists(xv: ArrayLike<number>, C: number): NonzeroLists {
  const pixels = xv.length / C;
  const count = new Int32Array(pixels);
  const channel = new Int32Array(xv.length);
  const value = new Float32Array(xv.length);
  for (let p = 0; p < pixels; p++) {
    const off = p * C;
    let n = off;
    for (let c = 0; c < C; c++) {
      const v = xv[off + c];
      // Branch-free append: always write, advance only for a nonzero.
      channel[n] = c;
      value[n] = v;
      n += v !== 0 ? 1 : 0;
    }
    count[p] = n - off;
  }
  return { count, channel, value };
}

/**
 * The row-sparse conv loops over convTaps' list (the dense kernels' walkConv, with the inner
 * loop over a row's kept outputs instead of all K):
 * - 'forward':    y[o, cols] += x[i, c]·v[row];           zero inputs skipped (nonzero lists).
 * - 'inputGrad':  x[i, c] += Σ_j y[o, cols[j]]·v[j]      (x is dx, y is dy).
 * - 'filterGrad': v[j] += x[i, c]·y[o, cols[j]]          (v is dW at kept weights); zero inputs skipped.
 */
function walkSparse(mode: 'forward' | 'inputGrad' | 'filterGrad', x: Buf, y: Buf, v: Buf, p: RowSparsePattern, g: ConvGeometry, nz?: NonzeroLists): void {
  checkShape(p, g);
  const { B, H, W, C, OH, OW, K } = g;
  const { rowStart, cols } = p;
  const taps = convTaps(g);
  if (mode !== 'inputGrad') {
    const { count, channel, value } = nz ?? nonzeroLists(x, C);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < taps.length; t += 3) {
        const yOff = (b * OH * OW + taps[t]) * K;
        const pix = b * H * W + taps[t + 1];
        const r0 = taps[t + 2] * C;
        const end0 = pix * C + count[pix];
        for (let n = pix * C; n < end0; n++) {
          const r = r0 + channel[n];
          const xval = value[n];
          const end = rowStart[r + 1];
          if (mode === 'forward') for (let j = rowStart[r]; j < end; j++) y[yOff + cols[j]] += xval * v[j];
          else for (let j = rowStart[r]; j < end; j++) v[j] += xval * y[yOff + cols[j]];
        }
      }
    }
    return;
  }
  // Input gradient: two output pixels per pass over a row (convTapPairs), each kept weight and
  // its index loaded once for both.
  const pairs = convTapPairs(g);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < pairs.length; t += 5) {
      const yOff = (b * OH * OW + pairs[t]) * K;
      const xOff = (b * H * W + pairs[t + 1]) * C;
      const r0 = pairs[t + 4] * C;
      if (pairs[t + 2] < 0) {
        for (let c = 0; c < C; c++) {
          const end = rowStart[r0 + c + 1];
          let acc = 0;
          for (let j = rowStart[r0 + c]; j < end; j++) acc += y[yOff + cols[j]] * v[j];
          x[xOff + c] += acc;
        }
        continue;
      }
      const yOff2 = (b * OH * OW + pairs[t + 2]) * K;
      const xOff2 = (b * H * W + pairs[t + 3]) * C;
      for (let c = 0; c < C; c++) {
        const end = rowStart[r0 + c + 1];
        let acc = 0;
        let acc2 = 0;
        for (let j = rowStart[r0 + c]; j < end; j++) {
          const k = cols[j];
          const vj = v[j];
          acc += y[yOff + k] * vj;
          acc2 += y[yOff2 + k] * vj;
        }
        x[xOff + c] += acc;
        x[xOff2 + c] += acc2;
      }
    }
  }
}

/** y = conv(x, W ⊙ M) from the kept weights `v` (pattern order). */
export function sparseConvForward(xv: Float32Array, p: RowSparsePattern, v: Float32Array, g: ConvGeometry, nz?: NonzeroLists): Float32Array {
  const y = new Float32Array(g.B * g.OH * g.OW * g.K);
  walkSparse('forward', xv, y, v, p, g, nz);
  return y;
}

/** dx of y = conv(x, W ⊙ M) from dy and the kept weights. */
export function sparseConvBackpropInput(dv: Float32Array, p: RowSparsePattern, v: Float32Array, g: ConvGeometry): Float32Array {
  const dx = new Float32Array(g.B * g.H * g.W * g.C);
  walkSparse('inputGrad', dx, dv, v, p, g);
  return dx;
}

/** dW of y = conv(x, W ⊙ M) at the kept positions only (pattern order; scatterKept makes it dense). */
export function sparseConvBackpropFilter(xv: Float32Array, dv: Float32Array, p: RowSparsePattern, g: ConvGeometry, nz?: NonzeroLists): Float32Array {
  const dvals = new Float32Array(p.cols.length);
  walkSparse('filterGrad', xv, dv, dvals, p, g, nz);
  return dvals;
}
