// CDG's quantile-gated conv on the wasm backend. The cpu version (cpuGatedConvSparse.ts) runs
// its convs as JS loops that skip closed units; on wasm its forward loops lost to XNNPACK's
// SIMD convs, which the dense step runs (a tiny cdg step 1.15–1.20× simclr-dense,
// docs/bench.md). Here the forward is ONE XNNPACK conv per branch over a dual kernel
// [FH, FW, C_in, 2·C_out] whose first C_out outputs see only the base channels and the last
// C_out only the conditional ones: Z = [Y_b | Y_c], Y_c at closed units too (dense SIMD is
// cheaper here than skipping in JS). The backward stays the cpu op's JS loops (dX_c and dK_c
// from open units only): tfjs' wasm input gradient is plain C++, and measured slower than
// they are (over the dual kernel 1.45× dense; over the two kernel segments 1.15–1.19× against
// 1.04–1.08×); its weight gradient is JS anyway (wasmKernels.ts). The gating is hostGating.ts.
import * as tf from '@tensorflow/tfjs';
import type { GatedConvResult, QuantileGateOptions } from './gatedConvResult';
import { gatedConvOnHost, type MakeHostForward } from './cpuGatedConvSparse';
import { readNow } from './hostView';

/** w [FH, FW, C, K] → [FH, FW, C, 2K]: outputs 0…K−1 from channels < cb, K…2K−1 from the rest. */
export function dualKernel(w: Float32Array, shape: readonly number[], cb: number): Float32Array {
  const [FH, FW, C, K] = shape;
  const dual = new Float32Array(FH * FW * C * 2 * K);
  for (let t = 0; t < FH * FW; t++) {
    for (let c = 0; c < C; c++) {
      const src = (t * C + c) * K;
      dual.set(w.subarray(src, src + K), 2 * src + (c < cb ? 0 : K));
    }
  }
  return dual;
}

/** [B, OH, OW, 2K] → its two halves, each [B, OH, OW, K]. */
function splitHalves(z: Float32Array, K: number): [Float32Array, Float32Array] {
  const n = z.length / 2;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let l = 0, e = 0; e < n; l += 2 * K, e += K) {
    a.set(z.subarray(l, l + K), e);
    b.set(z.subarray(l + K, l + 2 * K), e);
  }
  return [a, b];
}

/** wasm: [Y_b | Y_c] of every branch as one XNNPACK conv each over its kernel's dual kernel, computed up front; base() and cond() hand over the halves. */
export const wasmForward =
  (cb: number, stride: number): MakeHostForward =>
  (xs, ws, branches) => {
    const dual = ws.map((w) => {
      const [FH, FW, C, K] = w.shape;
      // dualKernel copies the view before tensor4d allocates (hostView.ts).
      return tf.tensor4d(dualKernel(readNow(w), w.shape, cb), [FH, FW, C, 2 * K]);
    });
    const halves = branches.map((br, i) => {
      // Not tf.tidy(() => ….dataSync()): tidy walks a returned typed array element by element.
      const zT = tf.conv2d(xs[i], dual[br.wi], stride, 'same');
      const h = splitHalves(readNow(zT), br.g.K); // copied out of the view before the next tf call
      zT.dispose();
      return h;
    });
    tf.dispose(dual);
    return { base: (i) => halves[i][0], cond: (i) => halves[i][1] };
  };

/** The quantile-gated conv of every branch on wasm (file header); same inputs and result as gatedConvHost, cb < C_in. */
export function gatedConvWasm(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number): GatedConvResult {
  return gatedConvOnHost(xs, ws, opts, cb, G, stride, wasmForward(cb, stride));
}
