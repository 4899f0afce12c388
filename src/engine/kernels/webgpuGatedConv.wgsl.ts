// WGSL bodies of CDG's gated conv on WebGPU (see webgpuGatedConv.ts). Shapes are baked in
// as constants (the shader key names them): a layer's shapes never change, and constant
// loop bounds let the compiler unroll. tfjs' program header supplies `result`, the inputs
// by their variable names, `localIndex`, `workgroupId` and main(index) for flat programs.
// Z = [Y_b | Y_c] is [B, OH, OW, 2K]: channels below K from input channels < cb, the rest
// from input channels ≥ cb (the file header of sparsity/cdgGate.ts).
import { dualOutputIndex, filterIndex, forEachInputTap, forEachOutputOfTap, forEachReadingTap, inputIndex } from './convTaps.wgsl';
import { KEY_WGSL } from './webgpuSelect.wgsl';

/**
 * Invocations of a per-sample workgroup (saliency, gate backward): 256 on a GPU; on a
 * software adapter SAMPLE_WG_SOFTWARE, where SwiftShader runs workgroup barriers by
 * switching between a workgroup's invocations on the CPU and 256 made these programs
 * ~10× slower (scripts/profile-step.ts, docs/bench.md "Barriers on SwiftShader").
 */
export const SAMPLE_WG_GPU = 256;
export const SAMPLE_WG_SOFTWARE = 4;

export interface ConvShape {
  B: number; H: number; W: number; C: number; OH: number; OW: number; K: number;
  FH: number; FW: number; top: number; left: number; stride: number; cb: number;
}

export function convKey(d: ConvShape): string {
  return [d.B, d.H, d.W, d.C, d.OH, d.OW, d.K, d.FH, d.FW, d.top, d.left, d.stride, d.cb].join('_');
}

/** The conv's shapes as WGSL constants (shared with webgpuGatedConvSkip.wgsl.ts). */
export const consts = (d: ConvShape) => /* wgsl */ `
const B = ${d.B}; const H = ${d.H}; const W = ${d.W}; const C = ${d.C};
const OH = ${d.OH}; const OW = ${d.OW}; const K = ${d.K}; const K2 = ${2 * d.K};
const FH = ${d.FH}; const FW = ${d.FW}; const PT = ${d.top}; const PL = ${d.left};
const S = ${d.stride}; const CB = ${d.cb};
`;

/** Z[b, oy, ox, k2]: the dense conv's sum restricted to the input segment of k2's half. Inputs x, w. */
export const dualConvWGSL = (d: ConvShape) => /* wgsl */ `
${consts(d)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${dualOutputIndex}
  let k = k2 % K;
  let c0 = select(CB, 0, k2 < K);
  let c1 = select(C, CB, k2 < K);
  var acc = 0.0;${forEachInputTap(`
      let xo = ((b * H + iy) * W + ixp) * C;
      let wo = (fy * FW + fx) * C * K + k;
      for (var c = c0; c < c1; c++) { acc += x[xo + c] * w[wo + c * K]; }`)}
  result[index] = acc;
}
`;

/** dX[b, iy, ix, c] = Σ over the taps that read it of dZ (c's half) · W. Inputs dz, w. */
export const dualConvDxWGSL = (d: ConvShape) => /* wgsl */ `
${consts(d)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${inputIndex}
  let half = select(K, 0, c < CB);
  var acc = 0.0;${forEachReadingTap(`
      let zo = ((b * OH + oy) * OW + ox) * K2 + half;
      let wo = ((fy * FW + fx) * C + c) * K;
      for (var k = 0; k < K; k++) { acc += dz[zo + k] * w[wo + k]; }`)}
  result[index] = acc;
}
`;

/** dW[fy, fx, c, k] = Σ over samples and output pixels of X · dZ (c's half). Inputs x, dz. */
export const dualConvDwWGSL = (d: ConvShape) => /* wgsl */ `
${consts(d)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${filterIndex}
  let half = select(K, 0, c < CB);
  var acc = 0.0;${forEachOutputOfTap(`
        acc += x[((b * H + iy) * W + ixp) * C + c] * dz[((b * OH + oy) * OW + ox) * K2 + half + k];`)}
  result[index] = acc;
}
`;

export interface GateShape {
  /** Output pixels a sample, channels, groups, channels a group. */
  HW: number; K: number; G: number; per: number;
  /** Samples of each branch (the pooled saliency is all branches' samples in order). */
  batches: number[];
}

/**
 * The saliency of all branches, pooled along the batch: s = r / (mean r + ε), r = mean over
 * each group of |Y_b|. One workgroup a pooled sample; inputs z0, z1, … (one a branch).
 * r is written first and divided by its sample's D in place (each invocation rereads
 * only what it wrote).
 */
export const saliencyWGSL = (g: GateShape, eps: number, WG: number) => {
  const nb = g.batches.length;
  const starts = g.batches.map((_, i) => g.batches.slice(0, i).reduce((a, b) => a + b, 0));
  // The branch holding pooled sample p, and p's first element in that branch's Z.
  const pick = starts
    .map((s, i) => (i === nb - 1 ? `  return z${i}[(p - ${s}) * HW * K2 + i];` : `  if (p < ${starts[i + 1]}) { return z${i}[(p - ${s}) * HW * K2 + i]; }`))
    .join('\n');
  return /* wgsl */ `
const HW = ${g.HW}; const K2 = ${2 * g.K}; const G = ${g.G}; const PER = ${g.per};
const CELLS = ${g.HW * g.G};
var<workgroup> part : array<f32, ${WG}>;
fn zAt(p : i32, i : i32) -> f32 {
${pick}
}
fn main(index : i32) {
  let tid = i32(localIndex);
  let p = i32(workgroupId.x);
  _ = uniforms.size; // keeps the uniform binding in the layout
  var acc = 0.0;
  for (var v = tid; v < CELLS; v += ${WG}) {
    let base = (v / G) * K2 + (v % G) * PER;
    var r = 0.0;
    for (var j = 0; j < PER; j++) { r += abs(zAt(p, base + j)) / f32(PER); }
    result[p * CELLS + v] = r;
    acc += r / f32(CELLS);
  }
  part[tid] = acc;
  workgroupBarrier();
  for (var h = ${WG / 2}; h > 0; h >>= 1u) {
    if (tid < h) { part[tid] += part[tid + h]; }
    workgroupBarrier();
  }
  let dd = part[0] + ${eps};
  for (var v = tid; v < CELLS; v += ${WG}) { result[p * CELLS + v] = result[p * CELLS + v] / dd; }
}
`;
};

/** Y = Y_b + g ⊙ Y_c for one branch; g is the pooled gate, this branch's units from unit O. Inputs z, g. */
export const applyWGSL = (g: GateShape, o: number, batch: number) => /* wgsl */ `
const K = ${g.K}; const K2 = ${2 * g.K}; const G = ${g.G}; const PER = ${g.per}; const O = ${o};
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let k = index % K;
  let pix = index / K;
  let zi = pix * K2 + k;
  result[index] = z[zi] + z[zi + K] * g[O + pix * G + k / PER];
}
`;

/**
 * Backward of Y = Y_b + g ⊙ Y_c with g = gate(s(Y_b)) for one branch, one workgroup a
 * sample: dZ_c = dY ⊙ g; dg = Σ_group dY ⊙ Y_c; ds = dg·α·σ(1 − σ) at α(s − Δ) (Δ midway
 * between the smallest open and the largest closed pooled saliency, as webgpuSelect's
 * surrogate program); dr = ds / D − (Σ_sample ds·r / D²) / cells; dZ_b = dY + dr[group]·
 * sign(Y_b) / per (sign 1 for > 0, else −1: tfjs' Abs gradient). With smooth = false
 * (Δ = ±∞) only dZ = [dY | dY ⊙ g]; with detached, ds = 0 where g = 0 (gatedConvHost's
 * 'detached'). Inputs dy, z, s, g (s and g pooled, n units). Each workgroup finds Δ by a
 * scan of the n pooled units; with deltaGiven it reads Δ from a fifth input, boundary [1],
 * found once (a scan in every one of b workgroups is b·n reads: billions at a large batch).
 * ds of a unit is parked in dZ at its group's first conditional channel until phase 2.
 */
export const gateBackwardWGSL = (g: GateShape, o: number, n: number, smooth: boolean, detached: boolean, eps: number, WG: number, deltaGiven = false) => /* wgsl */ `
const K = ${g.K}; const K2 = ${2 * g.K}; const G = ${g.G}; const PER = ${g.per}; const O = ${o};
const CELLS = ${g.HW * g.G}; const N = ${n};
${KEY}
var<workgroup> sumR : array<f32, ${WG}>;
var<workgroup> sumD : array<f32, ${WG}>;
var<workgroup> lowOpen : atomic<u32>;
var<workgroup> highClosed : atomic<u32>;
fn main(index : i32) {
  let tid = i32(localIndex);
  let b = i32(workgroupId.x);
  _ = uniforms.size; // keeps the uniform binding in the layout
  var dd = 1.0;
  var dD = 0.0;
  if (${smooth}) {
    ${deltaGiven ? 'let delta = boundary[0]; // found once for the layer (webgpuGateBoundary)' : `if (tid == 0) {
      atomicStore(&lowOpen, 0xffffffffu);
      atomicStore(&highClosed, 0u);
    }
    workgroupBarrier();
    var lo = 0xffffffffu;
    var hi = 0u;
    for (var i = tid; i < N; i += ${WG}) {
      let key = keyOf(s[i]);
      if (g[i] > 0.5) { lo = min(lo, key); } else { hi = max(hi, key); }
    }
    atomicMin(&lowOpen, lo);
    atomicMax(&highClosed, hi);
    workgroupBarrier();
    let delta = (valueOf(atomicLoad(&lowOpen)) + valueOf(atomicLoad(&highClosed))) * 0.5;`}
    let a = uniforms.alpha;
    var accR = 0.0;
    var accD = 0.0;
    for (var v = tid; v < CELLS; v += ${WG}) {
      let pix = b * ${g.HW} + v / G;
      let q = v % G;
      var dg = 0.0;
      var r = 0.0;
      for (var j = 0; j < PER; j++) {
        let zi = pix * K2 + q * PER + j;
        dg += dy[pix * K + q * PER + j] * z[zi + K];
        r += abs(z[zi]) / f32(PER);
      }
      let u = O + b * CELLS + v;
      let sig = 1.0 / (1.0 + exp(-((s[u] - delta) * a)));
      // 'detached': a closed unit passes no gradient to the saliency.
      let ds = select(dg * (sig * (1.0 - sig) * a), 0.0, ${detached} && g[u] < 0.5);
      result[pix * K2 + K + q * PER] = ds;
      accR += r / f32(CELLS);
      accD += ds * r;
    }
    sumR[tid] = accR;
    sumD[tid] = accD;
    workgroupBarrier();
    for (var h = ${WG / 2}; h > 0; h >>= 1u) {
      if (tid < h) {
        sumR[tid] += sumR[tid + h];
        sumD[tid] += sumD[tid + h];
      }
      workgroupBarrier();
    }
    dd = sumR[0] + ${eps};
    dD = -sumD[0] / (dd * dd) / f32(CELLS);
  }
  for (var v = tid; v < CELLS; v += ${WG}) {
    let pix = b * ${g.HW} + v / G;
    let q = v % G;
    let gv = g[O + b * CELLS + v];
    var dr = 0.0;
    if (${smooth}) { dr = (result[pix * K2 + K + q * PER] / dd + dD) / f32(PER); }
    for (var j = 0; j < PER; j++) {
      let zi = pix * K2 + q * PER + j;
      let d = dy[pix * K + q * PER + j];
      result[zi] = d + select(-dr, dr, z[zi] > 0.0);
      result[zi + K] = d * gv;
    }
  }
}
`;

// Order-preserving map of f32 bits to u32 (NaN as −∞, −0 as +0): the selection's.
const KEY = KEY_WGSL;
