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

  it('a diverging run throws and leaves the weights untouched', async () => {
    const t = new Trainer(buildConfig({ tiny: true, overrides: { steps: 5 } }), dataset);
    await t.trainStep();
    const w = t.online.vars['s1.b0.conv1'];
    const snapshot = (await w.data()).slice();
    // Poison one weight: the loss becomes NaN.
    w.assign(tf.fill(w.shape, NaN));
    const poisoned = (await w.data()).slice();
    await expect(t.trainStep()).rejects.toThrow(/diverged at step 1/);
    expect(t.step).toBe(1);
    expect(Array.from(await w.data()).every(Number.isNaN)).toBe(Array.from(poisoned).every(Number.isNaN));
    expect(snapshot.length).toBe(poisoned.length);
    t.dispose();
  });
});
