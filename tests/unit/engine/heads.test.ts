// The MLP heads' optional output BatchNorm (model.projOutBn): in training every output unit
// is standardised over the batch (mean 0, biased variance 1 up to ε), with no scale or shift;
// in evaluation it uses its running statistics (at initialisation 0 and 1: the identity).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { forwardMlp, initMlp, type MlpSpec } from '../../../src/engine/nn/heads';
import { BN_EPSILON } from '../../../src/engine/nn/batchnorm';
import { Rng } from '../../../src/engine/random';

const spec = (outBn: boolean): MlpSpec => ({ prefix: 'proj', inDim: 5, hidden: 7, outDim: 4, outBn });

function randomInput(rows: number, cols: number, seed: number): tf.Tensor2D {
  const rng = new Rng(seed);
  return tf.tensor2d(Array.from({ length: rows }, () => Array.from({ length: cols }, () => 3 * rng.next() - 1)));
}

/** Column means and biased variances, in plain JS. */
function columnMoments(rows: number[][]): { mean: number[]; variance: number[] } {
  const n = rows.length;
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const variance = rows[0].map((_, j) => rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n);
  return { mean, variance };
}

describe('MLP head output BatchNorm', () => {
  it('training: each output unit has batch mean 0 and variance v/(v+ε); without it, not', () => {
    const x = randomInput(16, 5, 7);
    for (const outBn of [true, false]) {
      const { params, stats } = initMlp(spec(outBn), 3);
      const y = tf.tidy(() => forwardMlp(spec(outBn), { params }, x, true));
      const { mean, variance } = columnMoments(y.arraySync());
      if (outBn) {
        expect(Object.keys(stats).sort()).toEqual(['proj.bn', 'proj.outbn']);
        for (const m of mean) expect(Math.abs(m)).toBeLessThan(1e-5);
        // Standardising by √(v + ε) leaves a variance of v/(v + ε): 1 up to ε/v.
        for (const v of variance) expect(v).toBeGreaterThan(1 - 1e-3);
        for (const v of variance) expect(v).toBeLessThanOrEqual(1 + 1e-5);
      } else {
        expect(Object.keys(stats)).toEqual(['proj.bn']);
        expect(mean.some((m) => Math.abs(m) > 1e-2) || variance.some((v) => Math.abs(v - 1) > 1e-2)).toBe(true);
      }
      tf.dispose([y, ...Object.values(params), ...Object.values(stats).flatMap((s) => [s.mean, s.variance])]);
    }
    x.dispose();
    expect(BN_EPSILON).toBeLessThan(1e-3);
  });

  it('evaluation with the initial running statistics (0, 1): the same output as the head without it, up to ε', () => {
    const x = randomInput(6, 5, 11);
    const a = initMlp(spec(true), 3);
    const b = initMlp(spec(false), 3);
    const ya = tf.tidy(() => forwardMlp(spec(true), { params: a.params, stats: a.stats as never }, x, false).arraySync());
    const yb = tf.tidy(() => forwardMlp(spec(false), { params: b.params, stats: b.stats as never }, x, false).arraySync());
    const scale = 1 / Math.sqrt(1 + BN_EPSILON);
    ya.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(yb[i][j] * scale, 5)));
    tf.dispose([x, ...Object.values(a.params), ...Object.values(b.params)]);
    tf.dispose([...Object.values(a.stats), ...Object.values(b.stats)].flatMap((s) => [s.mean, s.variance]));
  });
});
