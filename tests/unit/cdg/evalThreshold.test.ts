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
import { RunSession } from '../../../src/engine/session';

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
    // The gates really close in evaluation: with every gate open (Δ = −∞) the same images
    // have other features.
    const evalThreshold = plugin.evalThreshold.bind(plugin);
    plugin.evalThreshold = () => -Infinity;
    const allOpen = t.features(dataset.test, idx);
    plugin.evalThreshold = evalThreshold;
    const openRows = await allOpen.array();
    let moved = 0;
    for (const [j, r] of openRows.entries()) for (let q = 0; q < r.length; q++) moved = Math.max(moved, Math.abs(r[q] - rows[j][q]));
    expect(moved).toBeGreaterThan(1e-3);
    tf.dispose([batch, other, allOpen]);
    expect(tf.memory().numTensors).toBe(before);

    const snap = (await plugin.snapshot()) as CDGSnapshot;
    expect(Object.keys(snap.evalThreshold).sort()).toEqual(convs.map((c) => c.name).sort());
    expect(snap.gateGradient).toBe('ste');
    t.dispose();
  });

  // Found by a CDG hunt: a learned Δ was passed to evaluation as a tensor, so it never took
  // the one host op (hostFixedGate) and computed the conditional path everywhere.
  it('a learned Δ evaluates as a number on the host backends, with the features the tf-op path gives', async () => {
    const make = (sparse: 'auto' | 'off') => new Trainer(buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 12, kernels: { sparse }, cdg: { threshold: 'learned', schedule: { start: 0, end: 0.3, every: 0.05 } } } }), dataset);
    const [fast, ref] = [make('auto'), make('off')];
    for (let i = 0; i < 4; i++) {
      fast.row(await fast.trainStep());
      ref.row(await ref.trainStep());
    }
    const plugin = fast.plugins[0] as CDGPlugin;
    const convs = prunableConvs(fast.spec.encoder);
    const snap = (await plugin.snapshot()) as CDGSnapshot;
    for (const c of convs) {
      const d = plugin.evalThreshold(c.name);
      expect(typeof d, c.name).toBe('number');
      expect(d).toBe(snap.evalThreshold[c.name]);
    }
    const idx = [3, 0, 7, 11];
    const [a, b] = [fast.features(dataset.test, idx), ref.features(dataset.test, idx)];
    const [ra, rb] = [await a.array(), await b.array()];
    let maxDiff = 0;
    for (const [j, r] of ra.entries()) for (let q = 0; q < r.length; q++) maxDiff = Math.max(maxDiff, Math.abs(r[q] - rb[j][q]));
    expect(maxDiff).toBeLessThan(1e-4);
    tf.dispose([a, b]);
    fast.dispose();
    ref.dispose();
  });

  it('the kNN of a step evaluates with that step’s training Δ folded in (not one step behind)', async () => {
    // Gating from step 0 and kNN after every step: the first kNN must already be gated.
    const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 2, eval: { knnEvery: 1 }, cdg: { schedule: { start: 0, end: 0, every: 0.05 } } } });
    const session = new RunSession(config, dataset);
    const plugin = session.trainer.plugins[0] as CDGPlugin;
    const name = prunableConvs(session.trainer.spec.encoder)[0].name;
    const seen: (number | tf.Tensor)[] = [];
    const knn = session.trainer.knn.bind(session.trainer);
    session.trainer.knn = async () => {
      seen.push(plugin.evalThreshold(name));
      return knn();
    };
    const s1 = await session.trainStep();
    expect(s1.row.knn).toBeDefined();
    expect(Number.isFinite(seen[0] as number), `threshold at the first kNN: ${String(seen[0])}`).toBe(true);
    session.dispose();
  });

  it('a layer whose training opens no gate (density 0) stays closed in evaluation too, also after a save and load', async () => {
    const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 3, cdg: { density: 0, schedule: { start: 0, end: 0, every: 0.05 } } } });
    const t = new Trainer(config, dataset);
    const plugin = t.plugins[0] as CDGPlugin;
    const names = prunableConvs(t.spec.encoder).map((c) => c.name);
    for (let i = 0; i < 3; i++) {
      const r = t.row(await t.trainStep());
      expect(r.gateDensity, `step ${i}`).toBeDefined();
    }
    // Every gate closed in training: evaluation computes no conditional path either (not every gate open).
    for (const n of names) expect(plugin.evalThreshold(n), n).toBe(Infinity);
    const state = plugin.saveState();
    const copy = new Trainer(config, dataset);
    const p2 = copy.plugins[0] as CDGPlugin;
    p2.loadState(JSON.parse(JSON.stringify(state.meta)));
    for (const n of names) expect(p2.evalThreshold(n), n).toBe(Infinity);
    t.dispose();
    copy.dispose();
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
