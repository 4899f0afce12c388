// CDG evaluation gates with a fixed Δ per layer (an EMA of the training Δ), so an image's
// features do not depend on the other images of its batch; and the EMA follows the
// training thresholds it is made of.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { prunableConvs } from '../../../src/engine/nn/resnet';
import { CDGPlugin, EVAL_DELTA_MOMENTUM, type CDGSnapshot } from '../../../src/engine/sparsity/cdg';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 2, trainCount: 64, testCount: 40 });

describe('CDG evaluation threshold', () => {
  it('features of an image are identical alone and inside a batch (after the ramp: gates really close)', async () => {
    const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 12, cdg: { schedule: { start: 0, end: 0.3, every: 0.05 } } } });
    const t = new Trainer(config, dataset);
    for (let i = 0; i < 12; i++) t.row(await t.trainStep());
    const plugin = t.plugins[0] as CDGPlugin;
    const convs = prunableConvs(t.spec.encoder);
    for (const c of convs) expect(Number.isFinite(plugin.evalThreshold(c.name) as number)).toBe(true);

    const before = tf.memory().numTensors;
    const idx = [3, 0, 7, 11, 19, 25, 31, 38];
    const batch = t.features(dataset.test, idx);
    const rows = await batch.array();
    for (const [j, i] of idx.entries()) {
      const alone = t.features(dataset.test, [i]);
      const a = (await alone.array())[0];
      alone.dispose();
      expect(a.length).toBe(rows[j].length);
      let maxDiff = 0;
      for (let q = 0; q < a.length; q++) maxDiff = Math.max(maxDiff, Math.abs(a[q] - rows[j][q]));
      expect(maxDiff).toBeLessThan(1e-5);
    }
    // A different batch companion set gives the same rows too.
    const other = t.features(dataset.test, [idx[2], 1, 2]);
    const o = (await other.array())[0];
    for (let q = 0; q < o.length; q++) expect(Math.abs(o[q] - rows[2][q])).toBeLessThan(1e-5);
    tf.dispose([batch, other]);
    expect(tf.memory().numTensors).toBe(before);

    const snap = (await plugin.snapshot()) as CDGSnapshot;
    expect(Object.keys(snap.evalThreshold).sort()).toEqual(convs.map((c) => c.name).sort());
    expect(snap.gateGradient).toBe('ste');
    t.dispose();
  });

  it('the evaluation Δ is the EMA of the training Δs read back with each step', async () => {
    // Gating from the first step (schedule ends at 0): every step has a finite Δ.
    const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 5, cdg: { schedule: { start: 0, end: 0, every: 0.05 } } } });
    const t = new Trainer(config, dataset);
    const plugin = t.plugins[0] as CDGPlugin;
    const name = prunableConvs(t.spec.encoder)[0].name;
    expect(plugin.evalThreshold(name)).toBe(-Infinity); // no training Δ yet: all open, as the dense start
    let ema: number | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await t.trainStep();
      const d = r.metrics[`cdg.delta.${name}`][0];
      expect(Number.isFinite(d)).toBe(true);
      ema = ema === undefined ? d : EVAL_DELTA_MOMENTUM * ema + (1 - EVAL_DELTA_MOMENTUM) * d;
      t.row(r);
      t.row(r); // a second read of the same step's metrics does not count twice
      expect(plugin.evalThreshold(name) as number).toBeCloseTo(ema, 6);
    }
    t.dispose();
  });
});
