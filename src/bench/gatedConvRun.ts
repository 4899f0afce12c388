// One run of CDG's gated conv as the kernel checks compare backends and paths (the unit
// tests in tests/unit/cdg and the in-page check webglCdgCheck.ts): a case (shapes, stride,
// branches, shared or separate kernels, gate options), deterministic inputs, the forward
// and the gradients of a fixed random weighting of the outputs, read back; and the error
// measure the comparisons use.
import * as tf from '@tensorflow/tfjs';
import { gatedConv, type GatedConvOptions } from '../engine/sparsity/cdgGate';

export interface GatedCase {
  b: number; h: number; w: number; cin: number; cout: number; f: number; stride: number;
  branches: 1 | 2; sharedW: boolean; opts: GatedConvOptions;
}

export interface GatedRun {
  ys: Float32Array[]; gates: Float32Array[]; sal: Float32Array[]; density: number; delta: number; branchDensity: Float32Array;
  dxs: Float32Array[]; dws: Float32Array[];
}

/** Deterministic pseudo-random values in [−1, 1) (no backend RNG: the same numbers on every backend); `zeros`: that share of them 0. */
export function seededValues(n: number, seed: number, zeros = 0): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    return u < zeros ? 0 : u * 2 - 1;
  });
}

/**
 * Forward and the gradients of Σ_i Σ R_i ⊙ Y_i (R_i fixed random weights) for X_i and each
 * distinct K, on the current backend. `zeros`: the share of input values that are 0
 * (post-ReLU-like zeros take the sparse kernels' skip branch).
 */
export async function runGatedConv(c: GatedCase, opts: GatedConvOptions, zeros = 0): Promise<GatedRun> {
  const xs = Array.from({ length: c.branches }, (_, i) => tf.tensor4d(seededValues(c.b * c.h * c.w * c.cin, 11 + i, zeros), [c.b, c.h, c.w, c.cin]));
  const wShape: [number, number, number, number] = [c.f, c.f, c.cin, c.cout];
  const wsDistinct = Array.from({ length: c.sharedW ? 1 : c.branches }, (_, i) => tf.tensor4d(seededValues(wShape.reduce((a, b) => a * b), 31 + i, zeros), wShape));
  const res = tf.tidy(() => {
    let kept: { ys: tf.Tensor[]; gates: tf.Tensor[]; sal: tf.Tensor[]; density: tf.Tensor; delta: tf.Tensor; bd: tf.Tensor } | undefined;
    const lossOf = (...args: tf.Tensor[]) => {
      const xin = args.slice(0, xs.length) as tf.Tensor4D[];
      const win = args.slice(xs.length) as tf.Tensor4D[];
      const r = gatedConv(xin, xin.map((_, i) => win[c.sharedW ? 0 : i]), { ...c.opts, ...opts, stride: c.stride });
      // tf.grads disposes what its function made but the loss: keep what is compared.
      kept = { ys: r.ys.map((t) => tf.keep(t)), gates: r.gates.map((t) => tf.keep(t)), sal: r.saliency.map((t) => tf.keep(t)), density: tf.keep(r.density), delta: tf.keep(r.delta), bd: tf.keep(r.branchDensity) };
      return tf.addN(r.ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor(seededValues(y.size, 71 + i, zeros), y.shape))))) as tf.Scalar;
    };
    const grads = tf.grads(lossOf)([...xs, ...wsDistinct]);
    return { ...kept!, grads };
  });
  const data = async (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  const out: GatedRun = {
    ys: await data(res.ys), gates: await data(res.gates), sal: await data(res.sal), density: (await res.density.data())[0], delta: (await res.delta.data())[0],
    branchDensity: (await res.bd.data()) as Float32Array, dxs: await data(res.grads.slice(0, xs.length)), dws: await data(res.grads.slice(xs.length)),
  };
  tf.dispose([xs, wsDistinct, res.ys, res.gates, res.sal, res.density, res.delta, res.bd, res.grads]);
  return out;
}

/** max |a − b| over max(1, max |b|): float32 rounding of sums of up to a few hundred terms; Infinity on a length mismatch or NaN. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return Number.isNaN(worst) ? Infinity : worst / scale;
}
