// SimSiam, the third SSL method (ssl/simsiam.ts): the loss against a plain-JS computation,
// the stop-gradient on the projections, and a run in the trainer — no target network, a
// predictor on both branches, finite losses, no leak, and the FLOPs of two trained
// branches with a predictor counted by hand against SimCLR's.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { sslMethod } from '../../../src/engine/ssl/registry';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 5, trainCount: 48, testCount: 24 });

/** Mean over rows of 2 − 2·cos(a, b), in plain JS. */
function d(a: number[][], b: number[][]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const dot = a[i].reduce((acc, x, j) => acc + x * b[i][j], 0);
    s += 2 - (2 * dot) / (Math.hypot(...a[i]) * Math.hypot(...b[i]));
  }
  return s / a.length;
}

describe('SimSiam', () => {
  it('loss = D(p1, z2) + D(p2, z1) with D = 2 − 2·cos, and no gradient reaches the projections', () => {
    const m = sslMethod('simsiam');
    const P1 = [[1, 0, 2], [0.5, -1, 0]];
    const P2 = [[0, 1, 1], [2, 2, -1]];
    const Z1 = [[1, 1, 0], [0, 0, 3]];
    const Z2 = [[-1, 0.5, 2], [1, -2, 0.5]];
    const cfg = buildConfig({ overrides: { ssl: { method: 'simsiam' } } });
    const loss = tf.tidy(() => m.loss({ z: [tf.tensor2d(Z1), tf.tensor2d(Z2)], p: [tf.tensor2d(P1), tf.tensor2d(P2)] }, cfg).dataSync()[0]);
    expect(loss).toBeCloseTo(d(P1, Z2) + d(P2, Z1), 5);
    const gz = tf.tidy(() =>
      Array.from(tf.grad((z: tf.Tensor) => m.loss({ z: [z as tf.Tensor2D, tf.tensor2d(Z2)], p: [tf.tensor2d(P1), tf.tensor2d(P2)] }, cfg))(tf.tensor2d(Z1)).dataSync()),
    );
    expect(gz.every((g) => g === 0)).toBe(true);
    expect(m.emaTarget).toBe(false);
    expect(m.branches().every((b) => b.trained && b.predicts && b.network === 'online')).toBe(true);
  });

  it('trains in the trainer: no target network, a predictor, finite losses, flat tensors; FLOPs = SimCLR + two trained predictors', async () => {
    const config = buildConfig({ tiny: true, overrides: { steps: 6, ssl: { method: 'simsiam' } } });
    const t = new Trainer(config, dataset);
    expect(t.target).toBeUndefined();
    expect(Object.keys(t.online.vars).some((k) => k.startsWith('pred.'))).toBe(true);
    await t.trainStep();
    const after1 = tf.memory().numTensors;
    for (let i = 1; i < 6; i++) expect(Number.isFinite((await t.trainStep()).loss)).toBe(true);
    expect(tf.memory().numTensors).toBe(after1);
    const simclr = new Trainer(buildConfig({ tiny: true, overrides: { steps: 6 } }), dataset);
    // By hand: predictor projDim → predHidden → projDim, 2 branches, training ×3, FLOPs = 2·MACs, batch B.
    const { projDim, predHidden } = config.model;
    const predictor = 2 * 3 * 2 * config.batchSize * (projDim * predHidden + predHidden * projDim);
    expect(t.flops().dense - simclr.flops().dense).toBe(predictor);
    simclr.dispose();
    t.dispose();
  });
});
