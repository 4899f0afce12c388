// CDG's quantile-gated conv on the wasm backend. The cpu version (cpuGatedConvSparse.ts) runs
// its convs as JS loops that skip closed units; on wasm those loops lost to XNNPACK's SIMD
// convs, which the dense step runs (a tiny cdg step 1.15–1.30× simclr-dense, docs/bench.md).
// Here the convs of the forward and of the input gradient are XNNPACK's, each ONE call per
// branch over a dual kernel [FH, FW, C_in, 2·C_out] whose first C_out outputs see only the base
// channels and the last C_out only the conditional ones: Z = [Y_b | Y_c] in one conv, and
// dX = conv2dTranspose([dY_b | dY_c], dual) in one. That computes Y_c and dX_c at closed units
// too (dense SIMD is cheaper here than skipping in JS). The weight gradient is JS on wasm
// anyway (wasmKernels.ts: tfjs' wasm has none): it accumulates dK_c from open units only.
// The gating between the convs is hostGating.ts, as on cpu.
import * as tf from '@tensorflow/tfjs';
import { hostGatedResult, type GatedConvResult, type QuantileGateOptions } from './gatedConvResult';
import { convRange } from './hostConvRange';
import { gateBranches, PooledGate } from './hostGating';

type GradFn = Parameters<typeof tf.customGrad>[0];

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

/** The quantile-gated conv of every branch on wasm (file header); same inputs and result as gatedConvHost, cb < C_in. */
export function gatedConvWasm(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number): GatedConvResult {
  const alpha = opts.alpha ?? 5;
  const detached = opts.gateGradient === 'detached';
  const { branches, distinct, n } = gateBranches(xs, ws, stride, G);
  const { OH, OW, K, C } = branches[0].g;
  const per = K / G;
  const pool = new PooledGate(n, OH * OW * G, G, per, opts.density ?? 1);
  const dens: number[] = [];
  let openAll = 0;

  const f = ((...args: unknown[]) => {
    const save = args.pop() as (ts: tf.Tensor[]) => void;
    const ts = args as tf.Tensor4D[];
    const dual = ts.slice(xs.length).map((w) => tf.tensor4d(dualKernel(w.dataSync() as Float32Array, w.shape, cb), [w.shape[0], w.shape[1], C, 2 * K]));
    const halves = branches.map((br, i) => {
      // Not tf.tidy(() => ….dataSync()): tidy walks a returned typed array element by element.
      const zT = tf.conv2d(ts[i], dual[br.wi], stride, 'same');
      const z = zT.dataSync() as Float32Array;
      zT.dispose();
      const [yb, yc] = splitHalves(z, K);
      pool.saliency(yb, br.o);
      return { yb, yc };
    });
    tf.dispose(dual);
    pool.select(alpha);
    const y = new Float32Array(n * per);
    for (const [i, br] of branches.entries()) {
      const open = pool.combine(y, br.o * per, halves[i].yb, halves[i].yc, br);
      dens.push(open / br.m);
      openAll += open;
    }
    save(ts);
    const B = branches.reduce((a, br) => a + br.g.B, 0);
    return {
      value: tf.tensor4d(y, [B, OH, OW, K]),
      gradFunc: (dyT: tf.Tensor, saved: tf.Tensor[]) => {
        const dyAll = dyT.dataSync() as Float32Array;
        const sx = saved.slice(0, xs.length).map((t) => t.dataSync() as Float32Array);
        const sw = saved.slice(xs.length).map((t) => t.dataSync() as Float32Array);
        const dxs = sx.map((x) => new Float32Array(x.length));
        const dws = sw.map((w) => new Float32Array(w.length));
        branches.forEach((br, i) => {
          const off = br.o * per;
          const { dyb, dyc } = pool.backward(dyAll.subarray(off, off + br.m * per), halves[i].yb, halves[i].yc, br, detached);
          convRange(sx[i], sw[br.wi], dyb, dxs[i], dws[br.wi], br.g, 0, cb, null, 0, 1);
          convRange(sx[i], sw[br.wi], dyc, dxs[i], dws[br.wi], br.g, cb, C, pool.gate, br.o, G);
        });
        return [...dxs.map((d, i) => tf.tensor(d, saved[i].shape, 'float32')), ...dws.map((d, i) => tf.tensor(d, saved[xs.length + i].shape, 'float32'))];
      },
    };
  }) as unknown as GradFn;
  const yAll = tf.customGrad(f)(...xs, ...distinct) as tf.Tensor4D;
  const sizes = xs.map((x) => x.shape[0]);
  const ys = sizes.length === 1 ? [yAll] : (tf.split(yAll, sizes, 0) as tf.Tensor4D[]);
  return hostGatedResult({ ys, gate: pool.gate, saliency: pool.sal, branchDensity: dens, open: openAll, k: pool.k, n, delta: pool.delta, batches: sizes, OH, OW, G, baseChannels: cb });
}
