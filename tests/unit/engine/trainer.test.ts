// Trainer invariants on the cpu backend at the tiny size: no leaks, determinism per seed,
// BN running stats and the BYOL target move as specified.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 3, trainCount: 48, testCount: 24 });

async function losses(preset: string, steps: number, seed = 1): Promise<number[]> {
  const t = new Trainer(buildConfig({ preset, tiny: true, overrides: { steps, seed } }), dataset);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push((await t.trainStep()).loss);
  t.dispose();
  return out;
}

describe('Trainer', () => {
  it.each(['simclr-dense', 'byol-dense'])('%s: numTensors is flat over 20 steps and a kNN pass', async (preset) => {
    const before = tf.memory().numTensors;
    const t = new Trainer(buildConfig({ preset, tiny: true, overrides: { steps: 22 } }), dataset);
    await t.trainStep(); // the first step creates the optimizer's moment variables
    await t.trainStep();
    const after2 = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await t.trainStep();
    await t.knn();
    expect(tf.memory().numTensors).toBe(after2);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('same seed gives the same losses; another seed does not', async () => {
    const a = await losses('simclr-dense', 3, 1);
    const b = await losses('simclr-dense', 3, 1);
    const c = await losses('simclr-dense', 3, 2);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('SimCLR loss starts near log(2B−1) for a random net (uniform similarities)', async () => {
    const [first] = await losses('simclr-dense', 1);
    const b = buildConfig({ tiny: true }).batchSize;
    expect(Math.abs(first - Math.log(2 * b - 1))).toBeLessThan(1.0);
  });

  it('BYOL: the target starts equal to online and then trails it (EMA), the predictor is online-only', async () => {
    const t = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 10 } }), dataset);
    const name = 's1.b0.conv1';
    const o0 = (await t.online.vars[name].data()).slice();
    expect(Array.from(await t.target!.vars[name].data())).toEqual(Array.from(o0));
    expect(Object.keys(t.target!.vars).some((k) => k.startsWith('pred.'))).toBe(false);
    await t.trainStep();
    const o1 = await t.online.vars[name].data();
    const tg1 = await t.target!.vars[name].data();
    // After one step with m = m0: θt = m0·θ0 + (1 − m0)·θ1.
    const m0 = t.config.ssl.emaStart;
    for (let i = 0; i < o0.length; i += 7) expect(tg1[i]).toBeCloseTo(m0 * o0[i] + (1 - m0) * o1[i], 5);
    t.dispose();
  });

  it('BN running stats move towards the batch statistics', async () => {
    const t = new Trainer(buildConfig({ tiny: true, overrides: { steps: 5 } }), dataset);
    const before = Array.from(await t.online.stats['stem.bn'].variance.data());
    expect(before.every((v) => v === 1)).toBe(true);
    await t.trainStep();
    const after = Array.from(await t.online.stats['stem.bn'].variance.data());
    expect(after.some((v) => Math.abs(v - 1) > 1e-4)).toBe(true);
    t.dispose();
  });

  // A NaN in the projector's last bias makes the loss NaN without touching any conv, so
  // a mask update or regrowth at the diverged step would show as a changed byte.
  async function divergeAndCompare(preset: string, overrides: Record<string, unknown>, stepsBefore: (t: Trainer) => number): Promise<void> {
    const t = new Trainer(buildConfig({ preset, tiny: true, overrides }), dataset);
    const n = stepsBefore(t);
    for (let i = 0; i < n; i++) await t.trainStep();
    const bias = Object.keys(t.online.vars).filter((k) => k.startsWith('proj.') && k.endsWith('.b')).sort().at(-1)!;
    expect(bias).toBeDefined();
    const b = t.online.vars[bias];
    b.assign(tf.fill(b.shape, NaN));
    const bytes = async () => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(t.stateTensors())) out[k] = Buffer.from(new Uint8Array((await v.data()).buffer.slice(0))).toString('base64');
      for (const m of (await Promise.all(t.plugins.map((p) => p.exportMasks?.() ?? Promise.resolve([])))).flat()) {
        out[`exported.${m.name}`] = Buffer.from(m.online).toString('base64') + '|' + Buffer.from(m.target).toString('base64');
      }
      return out;
    };
    const before = await bytes();
    const adamSteps = t.optimizerSteps;
    expect(Object.keys(before).some((k) => k.startsWith('adam.m.'))).toBe(true);
    await expect(t.trainStep()).rejects.toThrow(new RegExp(`diverged at step ${n}`));
    expect(t.step).toBe(n);
    expect(t.optimizerSteps).toBe(adamSteps);
    const after = await bytes();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const k of Object.keys(before)) expect(after[k], k).toBe(before[k]);
    t.dispose();
  }

  it('a diverged step leaves every variable, BN statistic and optimizer moment bit-for-bit as before', async () => {
    await divergeAndCompare('byol-dense', { steps: 5 }, () => 2);
  });

  it('a diverged SyncCP mask-update step with regrowth leaves masks, weights and moments bit-for-bit as before', async () => {
    // Unstructured with regrowth: the update at the diverged step both re-ranks the masks
    // (the density drops) and zeroes regrown weights, before the loss is known.
    const overrides = { steps: 40, syncp: { regrowth: { enabled: true, rate: 0.3 }, scoreEma: 0.5, schedule: { start: 0.1, end: 0.7, every: 0.1 } } };
    await divergeAndCompare('syncp-unstructured', overrides, (t) => {
      const sp = t.plugins.find((p) => p.name === 'syncp') as unknown as { window: { start: number; every: number } };
      return sp.window.start + sp.window.every; // the second update step: regrowth has stashed gradients
    });
  });

  it('after a divergence the run continues from the last good step with a lower learning rate', async () => {
    const t = new Trainer(buildConfig({ tiny: true, overrides: { steps: 6 } }), dataset);
    await t.trainStep();
    const w = t.online.vars['proj.fc1.w'] ?? Object.values(t.online.vars)[0];
    const good = w.clone();
    w.assign(tf.fill(w.shape, NaN));
    await expect(t.trainStep()).rejects.toThrow(/diverged at step 1/);
    w.assign(good);
    good.dispose();
    t.setPeakLearningRate(t.peakLearningRate / 2);
    const r = await t.trainStep();
    expect(r.step).toBe(2);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(t.peakLearningRate).toBeCloseTo(t.config.optim.lr / 2, 12);
    expect(() => t.setPeakLearningRate(NaN)).toThrow(/positive/);
    t.dispose();
  });
});
