// BYOL: regression loss 2 − 2·cos(q(online(v)), stopgrad(target(v'))), symmetrised over
// the two views, and the EMA update of the target with a cosine momentum schedule.
import * as tf from '@tensorflow/tfjs';
import { emaStepCpu } from '../kernels/cpuParamUpdates';
import { stopGradient } from '../nn/stopGradient';
import type { SslMethodCode } from './method';

/** Mean over the batch of 2 − 2·cos(p, z), z treated as a constant. */
export function byolRegression(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const pn = tf.div(p, tf.add(tf.norm(p, 'euclidean', 1, true), 1e-12));
    const zc = stopGradient(z);
    const zn = tf.div(zc, tf.add(tf.norm(zc, 'euclidean', 1, true), 1e-12));
    return tf.mean(tf.sub(2, tf.mul(2, tf.sum(tf.mul(pn, zn), 1)))) as tf.Scalar;
  });
}

/** Symmetrised BYOL loss: ℓ(p1, z2) + ℓ(p2, z1). */
export function byolLoss(p1: tf.Tensor2D, p2: tf.Tensor2D, z1: tf.Tensor2D, z2: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.add(byolRegression(p1, z2), byolRegression(p2, z1)) as tf.Scalar);
}

/** m(t) = 1 − (1 − m0)·(cos(π t/T) + 1)/2: m0 at the start, 1 at the end. */
export function emaMomentum(step: number, total: number, m0: number): number {
  const u = total <= 0 ? 1 : Math.min(1, Math.max(0, step / total));
  return 1 - (1 - m0) * (Math.cos(Math.PI * u) + 1) / 2;
}

/** θ_t ← m·θ_t + (1 − m)·θ_o for every target variable that has an online counterpart (one loop a variable on cpu). */
export function emaUpdate(target: Record<string, tf.Variable>, online: Record<string, tf.Tensor>, m: number, fused = tf.getBackend() === 'cpu'): void {
  tf.tidy(() => {
    for (const [name, t] of Object.entries(target)) {
      const o = online[name];
      if (!o) continue;
      if (fused) emaStepCpu(t, o, m);
      else t.assign(tf.add(tf.mul(t, m), tf.mul(o, 1 - m)));
    }
  });
}

/**
 * BYOL: online network (+ predictor) on both views, its EMA target on both views (forward
 * only); each online prediction regresses the target's projection of the other view.
 */
export const byol: SslMethodCode = {
  branches: () => [
    { role: 'online', view: 0, network: 'online', trained: true, predicts: true },
    { role: 'online', view: 1, network: 'online', trained: true, predicts: true },
    { role: 'target', view: 0, network: 'target', trained: false, predicts: false },
    { role: 'target', view: 1, network: 'target', trained: false, predicts: false },
  ],
  loss: ({ z, p }) => byolLoss(p[0]!, p[1]!, z[2], z[3]),
};
