// SimCLR's NT-Xent loss over 2B embeddings: row i's positive is the other view of the
// same image; every other row is a negative; self-similarity is excluded.
import * as tf from '@tensorflow/tfjs';

/** z1, z2: [B, D] projections of view 1 and view 2. Returns the mean loss over the 2B anchors. */
export function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const b = z1.shape[0];
    const z = tf.concat([z1, z2], 0);
    const zn = tf.div(z, tf.add(tf.norm(z, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
    const sim = tf.div(tf.matMul(zn, zn, false, true), temperature);
    // A large finite negative rather than −∞ on the diagonal: WGSL may assume no inf/NaN.
    const logits = tf.sub(sim, tf.mul(tf.eye(2 * b), 1e9));
    const positives = tf.concat([tf.range(b, 2 * b, 1, 'int32'), tf.range(0, b, 1, 'int32')]);
    const onehot = tf.oneHot(positives, 2 * b);
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tf.Scalar;
  });
}
