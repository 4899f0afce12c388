// kNN monitor on hand-made examples where the answer is known.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { knnAccuracy, knnScores } from '../../../src/engine/eval/knn';
import { expectFiniteFeatures } from '../../../src/engine/eval/finiteFeatures';

describe('kNN monitor', () => {
  it('classifies queries by their cosine neighbours with weighted votes', async () => {
    // Class 0 points along +x, class 1 along +y; magnitudes must not matter (cosine).
    const bank = tf.tensor2d([[1, 0.1], [5, 0], [2, -0.1], [0, 1], [0.1, 3], [-0.1, 2]]);
    const queries = tf.tensor2d([[3, 0.2], [0.2, 1], [1, 0.9]]);
    // Third query is slightly closer to +x: with k=3 all three +x points outvote… check k=6 weighting too.
    expect(await knnAccuracy(bank, [0, 0, 0, 1, 1, 1], queries, [0, 1, 0], { k: 3, temperature: 0.1, numClasses: 2 })).toBe(1);
    // Wrong labels on purpose: accuracy must drop to exactly 1/3.
    expect(await knnAccuracy(bank, [0, 0, 0, 1, 1, 1], queries, [1, 0, 0], { k: 3, temperature: 0.1, numClasses: 2 })).toBeCloseTo(1 / 3, 12);
    tf.dispose([bank, queries]);

    // Weights exp(sim/T) over exactly the k nearest, by hand. Unit-norm bank but the last
    // two (norm √0.82, cosine s = −0.9/√0.82 ≈ −0.99393 to the query); cosine similarities
    // to the query [1, 0]: 1, .6, .6, −1, s, s.
    const bank2 = tf.tensor2d([[1, 0], [0.6, 0.8], [0.6, -0.8], [-1, 0], [-0.9, 0.1], [-0.9, -0.1]]);
    const labels = [1, 0, 0, 1, 1, 1];
    const labelsT = tf.tensor1d(labels, 'int32');
    const query = tf.tensor2d([[1, 0]]);
    const s = -0.9 / Math.sqrt(0.82);
    const scores = async (k: number, T: number) => {
      const t = knnScores(bank2, labelsT, query, { k, temperature: T, numClasses: 2 });
      const v = Array.from(await t.data());
      t.dispose();
      return v;
    };
    // k=3, T=0.1: the 3 nearest are sims 1 (class 1), .6, .6 (class 0).
    // Class 1: e^{1/0.1} = e^10 ≈ 22026.5; class 0: 2·e^{0.6/0.1} = 2e^6 ≈ 806.9 → class 1.
    // (An unweighted vote says class 0, 2 votes to 1.)
    const a = await scores(3, 0.1);
    // Scores are relative to the nearest neighbour's weight (e^10 here): the ratios are the vote.
    expect(a[0] / ((2 * Math.exp(6)) / Math.exp(10))).toBeCloseTo(1, 4);
    expect(a[1]).toBeCloseTo(1, 6);
    expect(await knnAccuracy(bank2, labels, query, [1], { k: 3, temperature: 0.1, numClasses: 2 })).toBe(1);
    // k=3, T=10: class 1: e^{0.1} ≈ 1.105; class 0: 2·e^{0.06} ≈ 2.124 → class 0.
    // (k=1 says class 1; all 6 neighbours give class 1 e^{.1}+e^{−.1}+2e^{s/10} ≈ 3.82 > 2.124.)
    const b = await scores(3, 10);
    // (relative to the nearest's weight e^{0.1})
    expect(b[0]).toBeCloseTo((2 * Math.exp(0.06)) / Math.exp(0.1), 5);
    expect(b[1]).toBeCloseTo(1, 5);
    expect(await knnAccuracy(bank2, labels, query, [0], { k: 3, temperature: 10, numClasses: 2 })).toBe(1);
    // All six (k = bank size), T=10: the four class-1 votes win.
    const c = await scores(6, 10);
    expect(c[0]).toBeCloseTo((2 * Math.exp(0.06)) / Math.exp(0.1), 5);
    expect(c[1]).toBeCloseTo((Math.exp(0.1) + Math.exp(-0.1) + 2 * Math.exp(s / 10)) / Math.exp(0.1), 5);
    expect(await knnAccuracy(bank2, labels, query, [1], { k: 6, temperature: 10, numClasses: 2 })).toBe(1);
    // k=1: only the nearest (class 1) votes.
    expect(await scores(1, 10)).toEqual([0, expect.closeTo(1, 5)]);
    expect(await knnAccuracy(bank2, labels, query, [1], { k: 1, temperature: 10, numClasses: 2 })).toBe(1);
    // T = 0.01 and 0.001: e^{1/T} overflows float32 (e^100); the vote is still e^{(1−.6)/T}/2 : 1
    // for class 1, finite, and right. Before, ∞ · 0 made both scores NaN and argmax said class 0.
    for (const T of [0.01, 0.001]) {
      const d = await scores(3, T);
      expect(d.every(Number.isFinite)).toBe(true);
      expect(d[1]).toBe(1);
      expect(d[0]).toBeCloseTo(2 * Math.exp(-0.4 / T), 12);
      expect(await knnAccuracy(bank2, labels, query, [1], { k: 3, temperature: T, numClasses: 2 })).toBe(1);
    }
    tf.dispose([bank2, labelsT, query]);
  });

  // Found by a read-only hunt: NaN features were voted class 0 (argMax and topk rank NaN), so a
  // held-out set of mostly class 0 scored 100 %.
  it('refuses features that are not finite, in the bank or the queries, rather than scoring them', async () => {
    const ok = tf.tensor2d([[1, 0], [0, 1], [1, 0.1]]);
    const bad = tf.tensor2d([[NaN, 0], [0, 1], [1, 0.1]]);
    const inf = tf.tensor2d([[1, 0], [0, Infinity], [1, 0.1]]);
    const opts = { k: 1, temperature: 0.1, numClasses: 2 };
    await expect(knnAccuracy(bad, [0, 1, 0], ok, [0, 0, 0], opts)).rejects.toThrow(/kNN: the network's features are not finite/);
    await expect(knnAccuracy(ok, [0, 1, 0], inf, [0, 0, 0], opts)).rejects.toThrow(/not finite/);
    expect(await knnAccuracy(ok, [0, 1, 0], ok, [0, 1, 0], opts)).toBe(1);
    const { linearProbe } = await import('../../../src/engine/eval/linearProbe');
    await expect(linearProbe(bad, [0, 1, 0], ok, [0, 1, 0], { numClasses: 2, epochs: 1, seed: 1 })).rejects.toThrow(/linear probe: the network's features are not finite/);
    tf.dispose([ok, bad, inf]);
  });
});

// Found by a leak hunt: a readback that fails (a lost GPU) left the tensors being read.
describe('a failed readback', () => {
  it('leaves nothing allocated in a kNN pass or the finiteness check', async () => {
    const bank = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const queries = tf.tensor2d([[1, 0]]);
    const before = tf.memory().numTensors;
    const spy = vi.spyOn(tf.Tensor.prototype, 'data').mockRejectedValue(new Error('GPU device was lost'));
    try {
      await expect(knnAccuracy(bank, [0, 1, 1], queries, [0], { k: 2, temperature: 0.1, numClasses: 2 })).rejects.toThrow(/device was lost/);
      await expect(expectFiniteFeatures('kNN', bank, queries)).rejects.toThrow(/device was lost/);
    } finally {
      spy.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([bank, queries]);
  });
});
