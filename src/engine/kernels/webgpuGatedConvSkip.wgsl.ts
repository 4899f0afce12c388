// WGSL bodies of CDG's gated conv on WebGPU with the conditional path skipped at closed
// locations (gateGradient 'detached', setting kernels.sparse; see webgpuGatedConv.ts). The
// layout is the dual conv's Z = [Y_b | Y_c] [B, OH, OW, 2K] (webgpuGatedConv.wgsl.ts), so
// the saliency, gate-apply and gate-backward programs are shared; here Y_c is g ⊙ Y_c, 0
// where the pooled gate g is closed. g's units of pixel `pix` (b, oy, ox flat) of this
// branch start at O + pix·G; output channel k is in group k / PER.
import { dualOutputIndex, filterIndex, forEachInputTap, forEachOutputOfTap, forEachReadingTap, inputIndex } from './convTaps.wgsl';
import { consts, type ConvShape } from './webgpuGatedConv.wgsl';

export interface GateLayout {
  /** Groups, output channels a group, this branch's first unit in the pooled gate. */
  G: number; per: number; o: number;
}

const gateConsts = (g: GateLayout) => /* wgsl */ `
const G = ${g.G}; const PER = ${g.per}; const O = ${g.o};
`;

/** Z_b = [Y_b | 0]: the base half of the dual conv only (input channels < CB). Inputs x, w. */
export const baseConvWGSL = (d: ConvShape) => /* wgsl */ `
${consts(d)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${dualOutputIndex}
  if (k2 >= K) { result[index] = 0.0; return; }
  var acc = 0.0;${forEachInputTap(`
      let xo = ((b * H + iy) * W + ixp) * C;
      let wo = (fy * FW + fx) * C * K + k2;
      for (var c = 0; c < CB; c++) { acc += x[xo + c] * w[wo + c * K]; }`)}
  result[index] = acc;
}
`;

/**
 * Z = [Y_b | g ⊙ Y_c]: the base half copied from zb, the conditional half computed only
 * where its unit is open (a closed one returns 0 without looping). Inputs x, w, zb, g.
 */
export const condConvWGSL = (d: ConvShape, g: GateLayout) => /* wgsl */ `
${consts(d)}${gateConsts(g)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${dualOutputIndex}
  if (k2 < K) { result[index] = zb[index]; return; }
  let k = k2 - K;
  if (g[O + pix * G + k / PER] < 0.5) { result[index] = 0.0; return; }
  var acc = 0.0;${forEachInputTap(`
      let xo = ((b * H + iy) * W + ixp) * C;
      let wo = (fy * FW + fx) * C * K + k;
      for (var c = CB; c < C; c++) { acc += x[xo + c] * w[wo + c * K]; }`)}
  result[index] = acc;
}
`;

/**
 * dX[b, iy, ix, c] = Σ over the taps that read it of dZ (c's half) · W, the conditional
 * half's closed groups skipped before their channel loop (dZ_c = dY ⊙ g is 0 there).
 * Inputs dz, w, g.
 */
export const condConvDxWGSL = (d: ConvShape, g: GateLayout) => /* wgsl */ `
${consts(d)}${gateConsts(g)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${inputIndex}
  let gated = c >= CB;
  let half = select(0, K, gated);
  var acc = 0.0;${forEachReadingTap(`
      let pix = (b * OH + oy) * OW + ox;
      let zo = pix * K2 + half;
      let wo = ((fy * FW + fx) * C + c) * K;
      for (var q = 0; q < G; q++) {
        if (gated && g[O + pix * G + q] < 0.5) { continue; }
        for (var j = q * PER; j < (q + 1) * PER; j++) { acc += dz[zo + j] * w[wo + j]; }
      }`)}
  result[index] = acc;
}
`;

/** dW[fy, fx, c, k] = Σ over samples and output pixels of X · dZ (c's half), closed pixels of the conditional half skipped. Inputs x, dz, g. */
export const condConvDwWGSL = (d: ConvShape, g: GateLayout) => /* wgsl */ `
${consts(d)}${gateConsts(g)}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
${filterIndex}
  let gated = c >= CB;
  let half = select(0, K, gated);
  let q = k / PER;
  var acc = 0.0;${forEachOutputOfTap(`
        let pix = (b * OH + oy) * OW + ox;
        if (gated && g[O + pix * G + q] < 0.5) { continue; }
        acc += x[((b * H + iy) * W + ixp) * C + c] * dz[pix * K2 + half + k];`)}
  result[index] = acc;
}
`;
