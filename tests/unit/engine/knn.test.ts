// kNN monitor on a hand-made example where the answer is known.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { knnAccuracy } from '../../../src/engine/eval/knn';

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
  });
});
