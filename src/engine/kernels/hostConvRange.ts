// The conv loops of CDG's gated conv on the host backends (cpuGatedConvSparse.ts on cpu and
// wasm's weight gradient in wasmGatedConv.ts): a conv restricted to a range of input channels
// and to the output units whose gate is open.
import { convTaps, filterGradBlocked, forwardBlocked, inputGradBlocked, type ConvPart } from './convTaps';
import type { ConvGeometry } from './cpuConv2D';

/**
 * The conv restricted to input channels [c0, c1) and to the groups q whose unit is open
 * (`gate` null: all; unit u of this branch is gate[o + u]), in tfjs' order per output (tap,
 * channel), with y's channels split in G groups of K / G:
 * - forward (dx and dw null): y[o, q·per + j] += Σ_c x[i, c]·w[t, c, q·per + j];
 * - backward (y is dy, dx and dw given): dx[i, c] += Σ_k dy[o, k]·w[t, c, k] and
 *   dw[t, c, k] += x[i, c]·dy[o, k];
 * - weight gradient only (y is dy, dx null, dw given): dw[t, c, k] += x[i, c]·dy[o, k].
 */
export function convRange(x: Float32Array, w: Float32Array, y: Float32Array, dx: Float32Array | null, dw: Float32Array | null, g: ConvGeometry, c0: number, c1: number, gate: Float32Array | null, o: number, G: number): void {
  const { B, OH, OW, K, H, W, C } = g;
  const per = K / G;
  // The dense kernels' blocked loops (convTaps.ts) over the range and the open units: the
  // forward the same sums in the same order; the input gradient whatever the group width.
  const part: ConvPart = { c0, c1, gate, gateOffset: o, G };
  if (dx !== null) inputGradBlocked(dx, y, w, g, part);
  if (per % 4 === 0) {
    if (dw !== null) filterGradBlocked(x, y, dw, g, part);
    else if (dx === null) forwardBlocked(x, y, w, g, c1, K, part);
    return;
  }
  if (dx !== null && dw === null) return;
  const taps = convTaps(g);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const unit = (b * OH * OW + taps[t]) * G;
      const yOff = unit * per;
      const xOff = (b * H * W + taps[t + 1]) * C;
      const wOff = taps[t + 2] * C * K;
      for (let q = 0; q < G; q++) {
        if (gate !== null && gate[o + unit + q] === 0) continue;
        const yq = yOff + q * per;
        if (dw !== null) {
          for (let c = c0; c < c1; c++) {
            const xval = x[xOff + c];
            if (xval === 0) continue; // adding 0 changes no sum
            const row = wOff + c * K + q * per;
            for (let j = 0; j < per; j++) dw[row + j] += xval * y[yq + j];
          }
          continue;
        }
        for (let c = c0; c < c1; c++) {
          const xval = x[xOff + c];
          if (xval === 0) continue;
          const row = wOff + c * K + q * per;
          for (let j = 0; j < per; j++) y[yq + j] += xval * w[row + j];
        }
      }
    }
  }
}
