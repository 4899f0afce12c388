// Evaluation features that are not finite (NaN or ∞, from weights or batch-norm statistics a
// bad update left) must not become an accuracy: argMax and topk rank NaN as a class like any
// other, so kNN and the linear probe turned them into a plausible ~1/C, or up to 100 % when
// the held-out images were mostly of class 0. Checked on the host, after one readback (WGSL
// may assume no NaN: TESTING.md).
import * as tf from '@tensorflow/tfjs';

export class NonFiniteFeaturesError extends Error {
  constructor(what: string) {
    super(`${what}: the network's features are not finite (NaN or ∞), so there is no accuracy to report; its weights or batch-norm statistics have diverged — lower the learning rate, or reset`);
    this.name = 'NonFiniteFeaturesError';
  }
}

/** Throws NonFiniteFeaturesError when any element of `features` is NaN or ±∞. */
export async function expectFiniteFeatures(what: string, ...features: tf.Tensor[]): Promise<void> {
  const s = tf.tidy(() => tf.addN(features.map((f) => tf.sum(tf.abs(f)))));
  let v: number;
  try {
    v = (await s.data())[0];
  } finally {
    s.dispose(); // also when the readback fails (a lost GPU)
  }
  if (!Number.isFinite(v)) throw new NonFiniteFeaturesError(what);
}
