// WGSL bodies of the sparse masked conv on WebGPU (see webgpuSparseConv.ts). Shapes and the
// offsets into the packed index tensor are constants of the shader (the key names both;
// each section is sized for nnz rounded up to a power of two, so the offsets change only
// when nnz crosses one).
// tfjs' program header supplies `result`, the inputs by their variable names and
// main(index) for flat programs (one invocation an output element).
//
// The packed index tensor `ix` (int32) holds, at the offsets below:
//   FSTART [T·K + 1]  forward rows r = t·K + k (tap t, output k): their entries' range;
//   FCHAN  [nnz]      each entry's input channel (ascending within a row: group by group,
//                     N of an N:M group, all M of a dense one, the tail's kept channels);
//   FPOS   [nnz]      each entry's flat index into the kernel [FH, FW, C, K];
//   BSTART [T·C + 1]  transposed rows (t, c): their entries' range;
//   BOUT   [nnz]      each transposed entry's output channel k;
//   BSLOT  [nnz]      and its index into the values (forward order);
// Values `v` [nnz] are W at FPOS (the compressed weights, gathered once a step).
// Invocations are ordered with the row outermost (k or c), pixels innermost, so neighbouring
// invocations (SIMD lanes on a CPU rasteriser, a warp on a GPU) walk the same row: the
// index and value loads are uniform across them and the loop trip counts agree.

import { forEachInputTap, forEachOutputOfTap, forEachReadingTap } from './convTaps.wgsl';

export interface SparseConvShape {
  B: number; H: number; W: number; C: number; OH: number; OW: number; K: number;
  FH: number; FW: number; top: number; left: number; stride: number;
  nnz: number;
  /** Entries of every forward row when all rows have the same length (pure N:M with C % M = 0), else -1. */
  rowLen: number;
}

export interface SparseOffsets { fstart: number; fchan: number; fpos: number; bstart: number; bout: number; bslot: number }

/** The shape and the row-length variant the shaders bake in (the caller adds the index offsets; nnz itself is a uniform's size). */
export function sparseConvKey(d: SparseConvShape): string {
  return [d.B, d.H, d.W, d.C, d.OH, d.OW, d.K, d.FH, d.FW, d.top, d.left, d.stride, d.rowLen].join('_');
}

const consts = (d: SparseConvShape, o: SparseOffsets) => /* wgsl */ `
const B = ${d.B}; const H = ${d.H}; const W = ${d.W}; const C = ${d.C};
const OH = ${d.OH}; const OW = ${d.OW}; const K = ${d.K};
const FH = ${d.FH}; const FW = ${d.FW}; const PT = ${d.top}; const PL = ${d.left}; const S = ${d.stride};
const FSTART = ${o.fstart}; const FCHAN = ${o.fchan}; const FPOS = ${o.fpos};
const BSTART = ${o.bstart}; const BOUT = ${o.bout}; const BSLOT = ${o.bslot};
`;

/** v[j] = w[FPOS + j]: the kept weights in forward-row order. Inputs w, ix. */
export const gatherWGSL = (d: SparseConvShape, o: SparseOffsets) => /* wgsl */ `
${consts(d, o)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  result[index] = w[ix[FPOS + index]];
}
`;

/**
 * y[b, oy, ox, k] = Σ_taps Σ_{j in row (t, k)} x[b, iy, ix, FCHAN[j]]·v[j]. Invocation order
 * (k, b, oy, ox). With a uniform row length the loop bound is a constant. Inputs x, v, ix.
 */
export const forwardWGSL = (d: SparseConvShape, o: SparseOffsets) => /* wgsl */ `
${consts(d, o)}
const ROWLEN = ${d.rowLen};
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let ox = index % OW;
  let oy = (index / OW) % OH;
  let b = (index / (OW * OH)) % B;
  let k = index / (OW * OH * B);
  var acc = 0.0;${forEachInputTap(`
      let xo = ((b * H + iy) * W + ixp) * C;
      let r = (fy * FW + fx) * K + k;
      ${
        d.rowLen >= 0
          ? `let j0 = r * ROWLEN;
      for (var e = 0; e < ROWLEN; e++) { acc += x[xo + ix[FCHAN + j0 + e]] * v[j0 + e]; }`
          : `let j1 = ix[FSTART + r + 1];
      for (var j = ix[FSTART + r]; j < j1; j++) { acc += x[xo + ix[FCHAN + j]] * v[j]; }`
      }`)}
  result[((b * OH + oy) * OW + ox) * K + k] = acc;
}
`;

/**
 * dx[b, iy, ix, c] = Σ over the taps that read it, Σ_{e in row (t, c)} dy[b, oy, ox, BOUT[e]]·v[BSLOT[e]].
 * Invocation order (c, b, iy, ix). Inputs dy, v, ix.
 */
export const inputGradWGSL = (d: SparseConvShape, o: SparseOffsets) => /* wgsl */ `
${consts(d, o)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let ixp = index % W;
  let iy = (index / W) % H;
  let b = (index / (W * H)) % B;
  let c = index / (W * H * B);
  var acc = 0.0;${forEachReadingTap(`
      let yo = ((b * OH + oy) * OW + ox) * K;
      let r = (fy * FW + fx) * C + c;
      let e1 = ix[BSTART + r + 1];
      for (var e = ix[BSTART + r]; e < e1; e++) { acc += dy[yo + ix[BOUT + e]] * v[ix[BSLOT + e]]; }`)}
  result[((b * H + iy) * W + ixp) * C + c] = acc;
}
`;

/** dv[j] = Σ_{b, oy, ox} x[b, iy, ix, c]·dy[b, oy, ox, k] at kept weight j = (t, c, k). Inputs x, dy, ix. */
export const valueGradWGSL = (d: SparseConvShape, o: SparseOffsets) => /* wgsl */ `
${consts(d, o)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let p = ix[FPOS + index];
  let k = p % K;
  let c = (p / K) % C;
  let t = p / (K * C);
  let fx = t % FW;
  let fy = t / FW;
  var acc = 0.0;${forEachOutputOfTap(`
        acc += x[((b * H + iy) * W + ixp) * C + c] * dy[((b * OH + oy) * OW + ox) * K + k];`)}
  result[index] = acc;
}
`;

/**
 * dW [FH, FW, C, K]: dv at kept positions, 0 elsewhere. One invocation a kernel element
 * scans its transposed row (t, c) for k (rows are short: the kept outputs of one input
 * channel at one tap). Inputs dv, ix.
 */
export const scatterWGSL = (d: SparseConvShape, o: SparseOffsets) => /* wgsl */ `
${consts(d, o)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let k = index % K;
  let r = index / K;
  var out = 0.0;
  let e1 = ix[BSTART + r + 1];
  for (var e = ix[BSTART + r]; e < e1; e++) {
    if (ix[BOUT + e] == k) { out = dv[ix[BSLOT + e]]; }
  }
  result[index] = out;
}
`;
