// AdamW's step and BYOL's EMA as one loop per variable on the cpu backend. As tf ops they
// are ~13 (AdamW) and 3 (EMA) element-wise kernels per variable, each allocating its output:
// at the default size that was ~20 % of a cpu BYOL step (tf.profile: Multiply, Add,
// RealDiv, Sqrt, Sub, Square over ~40 small variables). Same formulas as the tf-op path
// (optim.ts, ssl/byol.ts), computed in double and stored as float32. Outputs are fresh
// arrays: a variable's values may be shared with another tensor (clone, read), so none is
// written in place.
import * as tf from '@tensorflow/tfjs';
import { take } from './cpuArrayPool';

/** The values of a cpu-backend tensor, without a copy (the backend keeps them as a typed array). */
function values(t: tf.Tensor): Float32Array | Uint8Array | Int32Array {
  return t.dataSync() as Float32Array | Uint8Array | Int32Array;
}

export interface AdamWHostStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β1ᵗ and 1 − β2ᵗ. */
  bc1: number;
  bc2: number;
  lr: number;
  /** Weight decay of this variable (0 when it has none). */
  decay: number;
}

/**
 * One AdamW step of w with gradient g and moments m, v, in new arrays. Entries where `keep`
 * is 0 keep weight and moments (the masked update of optim.ts).
 */
export function adamWValues(w: ArrayLike<number>, g: ArrayLike<number>, m: ArrayLike<number>, v: ArrayLike<number>, keep: ArrayLike<number> | undefined, s: AdamWHostStep): { w: Float32Array; m: Float32Array; v: Float32Array } {
  const n = w.length;
  const wOut = take(n);
  const mOut = take(n);
  const vOut = take(n);
  const { beta1, beta2, epsilon, bc1, bc2, lr, decay } = s;
  for (let i = 0; i < n; i++) {
    if (keep && keep[i] === 0) {
      wOut[i] = w[i];
      mOut[i] = m[i];
      vOut[i] = v[i];
      continue;
    }
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    const step = mi / bc1 / (Math.sqrt(vi / bc2) + epsilon) + decay * w[i];
    wOut[i] = w[i] - lr * step;
    mOut[i] = mi;
    vOut[i] = vi;
  }
  return { w: wOut, m: mOut, v: vOut };
}

/** adamWValues on tensors of the cpu backend: assigns the new weight and moments. */
export function adamWStepCpu(w: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, keep: tf.Tensor | undefined, s: AdamWHostStep): void {
  const r = adamWValues(values(w), values(g), values(m), values(v), keep && values(keep), s);
  for (const [variable, out] of [[w, r.w], [m, r.m], [v, r.v]] as const) {
    const t = tf.tensor(out, variable.shape, 'float32');
    variable.assign(t);
    t.dispose();
  }
}

/** θ_t ← m·θ_t + (1 − m)·θ_o on the cpu backend (ssl/byol.ts' emaUpdate). */
export function emaStepCpu(target: tf.Variable, online: tf.Tensor, momentum: number): void {
  const t = values(target);
  const o = values(online);
  const out = take(t.length);
  for (let i = 0; i < t.length; i++) out[i] = momentum * t[i] + (1 - momentum) * o[i];
  const next = tf.tensor(out, target.shape, 'float32');
  target.assign(next);
  next.dispose();
}
