// kNN monitor (Wu et al. 2018, as in SimCLR/BYOL codebases): cosine similarity to a
// labelled memory bank, the k nearest vote with weights exp(sim / T), argmax class.
import * as tf from '@tensorflow/tfjs';
import { NonFiniteFeaturesError } from './finiteFeatures';

export { accuracyStandardError, testImagesForStandardError } from './standardError';

export interface KnnOptions { k: number; temperature: number; numClasses: number; chunk?: number }

/**
 * Class scores [Q, C] of each query (pure tensor op; caller disposes), relative to its
 * nearest neighbour's weight: exp((sim − sim_max) / T). The same ratios and vote as
 * exp(sim / T), which overflows float32 once sim / T > 88.7 (T ≈ 0.01 with features as
 * similar as a ReLU network's), and ∞ · 0 made every score NaN and the vote class 0.
 */
export function knnScores(bank: tf.Tensor2D, bankLabels: tf.Tensor1D, queries: tf.Tensor2D, opts: KnnOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const k = Math.min(opts.k, bank.shape[0]);
    const normalize = (t: tf.Tensor2D) => tf.div(t, tf.add(tf.norm(t, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
    const sim = tf.matMul(normalize(queries), normalize(bank), false, true);
    const { values, indices } = tf.topk(sim, k);
    const labels = tf.gather(bankLabels, indices); // [Q, k]
    // topk sorts descending: column 0 is each query's nearest similarity.
    const weights = tf.exp(tf.div(tf.sub(values, values.slice([0, 0], [-1, 1])), opts.temperature));
    const onehot = tf.oneHot(labels.cast('int32'), opts.numClasses); // [Q, k, C]
    return tf.sum(tf.mul(onehot, weights.expandDims(2)), 1) as tf.Tensor2D;
  });
}

/**
 * Top-1 accuracy of the kNN classifier on the queries. By default the similarity of all
 * queries to the bank is one matmul and one top-k on the backend (a few million floats at
 * the default sizes); `chunk` bounds memory for larger sets.
 */
export async function knnAccuracy(bank: tf.Tensor2D, bankLabels: ArrayLike<number>, queries: tf.Tensor2D, queryLabels: ArrayLike<number>, opts: KnnOptions): Promise<number> {
  const chunk = opts.chunk ?? Math.max(1, queries.shape[0]);
  const labels = tf.tensor1d(Array.from(bankLabels), 'int32');
  const preds: tf.Tensor1D[] = [];
  let packed: tf.Tensor | undefined;
  let p: Float32Array | Int32Array | Uint8Array;
  // Disposed also when a readback fails (a lost GPU).
  try {
    for (let i = 0; i < queries.shape[0]; i += chunk) {
      preds.push(tf.tidy(() => tf.argMax(knnScores(bank, labels, queries.slice([i, 0], [Math.min(chunk, queries.shape[0] - i), -1]), opts), 1) as tf.Tensor1D));
    }
    // The predictions and Σ|features| in one readback: features that are not finite (finiteFeatures.ts) must not be scored.
    packed = tf.tidy(() => tf.concat([tf.cast(tf.concat(preds), 'float32'), tf.reshape(tf.add(tf.sum(tf.abs(bank)), tf.sum(tf.abs(queries))), [1])]));
    p = await packed.data();
  } finally {
    tf.dispose([labels, ...preds, ...(packed ? [packed] : [])]);
  }
  if (!Number.isFinite(p[p.length - 1])) throw new NonFiniteFeaturesError('kNN');
  let correct = 0;
  for (let i = 0; i < p.length - 1; i++) if (p[i] === queryLabels[i]) correct++;
  return correct / (p.length - 1);
}
