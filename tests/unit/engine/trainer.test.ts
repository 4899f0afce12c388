// Trainer invariants on the cpu backend at the tiny size: no leaks, determinism per seed,
// BN running stats and the BYOL target move as specified.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { Trainer } from '../../../src/engine/trainer';
import { stateText } from '../helpers/trainerState';

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

  it('BYOL with ssl.predictorLrScale: the first step moves predictor weights by scale × the rate, the rest by the rate', async () => {
    const scale = 10;
    const t = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 40, ssl: { predictorLrScale: scale } } }), dataset);
    const { lr: base, warmup, weightDecay: wd } = t.config.optim;
    // Step 0 of a linear warm-up over ⌊warmup·steps⌋ steps runs at base / that many.
    const lr0 = base / Math.floor(warmup * t.config.steps);
    const before = async (name: string) => Array.from(await t.online.vars[name].data());
    const names = ['pred.fc1.w', 'proj.fc1.w'];
    const w0 = await Promise.all(names.map(before));
    await t.trainStep();
    const w1 = await Promise.all(names.map(before));
    // Adam's first step is rate·(g/|g| + wd·w) for every weight with a nonzero gradient:
    // |Δw + rate·wd·w| = rate, whatever the gradient.
    names.forEach((name, k) => {
      const rate = name.startsWith('pred.') ? scale * lr0 : lr0;
      const moved = w0[k].map((w, i) => Math.abs(w1[k][i] - w + rate * wd * w)).filter((d) => d > 1e-9);
      expect(moved.length, name).toBeGreaterThan(w0[k].length / 2);
      // (ε = 1e-8 in Adam's denominator shrinks steps of tiny gradients by a little.)
      for (const d of moved) expect(d / rate, name).toBeCloseTo(1, 2);
    });
    t.dispose();
  });

  it('BN running stats move towards the batch statistics', async () => {
    const t = new Trainer(buildConfig({ tiny: true, overrides: { steps: 5 } }), dataset);
    const stats = t.online.stats['stem.bn'];
    expect(Array.from(await stats.mean.data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await stats.variance.data()).every((v) => v === 1)).toBe(true);
    // The batch moments of step 0, computed here: the stem conv (3×3, stride 1, 'same', no
    // mask, no bias) of each of the two views; tf.moments over N, H, W gives the BIASED
    // variance (÷ N·H·W), as the trainer's BN kernel does (src/engine/kernels/cpuBatchNorm.ts).
    // SimCLR: both views go through the online net, the trainer averages their moments.
    const [v1, v2] = t.views(0);
    const w = t.online.vars['stem.conv'] as tf.Tensor4D;
    expect(w.shape.slice(0, 2)).toEqual([3, 3]);
    const perView = [v1, v2].map((v) => tf.tidy(() => {
      const { mean, variance } = tf.moments(tf.conv2d(v, w, 1, 'same'), [0, 1, 2]);
      return [mean.arraySync() as number[], variance.arraySync() as number[]];
    }));
    tf.dispose([v1, v2]);
    const c = perView[0][0].length;
    const mBar = Array.from({ length: c }, (_, k) => (perView[0][0][k] + perView[1][0][k]) / 2);
    const vBar = Array.from({ length: c }, (_, k) => (perView[0][1][k] + perView[1][1][k]) / 2);
    // The two views differ, so averaging them is observable; the moments are far from the
    // initial (0, 1), so a missing or swapped-momentum update is observable too.
    expect(perView[0][0].some((m, k) => Math.abs(m - perView[1][0][k]) > 1e-3)).toBe(true);
    expect(Math.max(...mBar.map(Math.abs))).toBeGreaterThan(1e-2);
    expect(Math.max(...vBar.map((v) => Math.abs(v - 1)))).toBeGreaterThan(1e-2);

    await t.trainStep();
    // running ← 0.9·running + 0.1·batch (BN_MOMENTUM = 0.9 is the weight of the OLD value),
    // from mean 0 and variance 1.
    const mean = Array.from(await stats.mean.data());
    const variance = Array.from(await stats.variance.data());
    for (let k = 0; k < c; k++) {
      expect(Math.abs(mean[k] - 0.1 * mBar[k]), `mean[${k}]`).toBeLessThan(1e-5);
      expect(Math.abs(variance[k] - (0.9 + 0.1 * vBar[k])), `variance[${k}]`).toBeLessThan(1e-5);
    }
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
    // The step that diverged is the next row's: n + 1, and the run stays after step n.
    await expect(t.trainStep()).rejects.toThrow(new RegExp(`diverged at step ${n + 1}: .* kept as it was after step ${n} `));
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

  it('the same with per-branch scores: the target weights the update zeroed come back too', async () => {
    const overrides = { steps: 40, syncp: { scores: 'per-branch', regrowth: { enabled: true, rate: 0.3 }, scoreEma: 0.5, schedule: { start: 0.1, end: 0.7, every: 0.1 } } };
    await divergeAndCompare('syncp-unstructured', overrides, (t) => {
      const sp = t.plugins.find((p) => p.name === 'syncp') as unknown as { window: { start: number; every: number } };
      return sp.window.start + sp.window.every;
    });
  });

  /** The whole saved state (arrays and plugin state) as comparable text. */

  // Found by a read-only hunt: the state a divergence kept was the one whose loss was not
  // finite, and a step's loss does not depend on its rate, so "Continue with lr × ½" diverged
  // again at the same step, every time.
  it('without the last good state kept, a lower rate diverges again at the same step: the loss does not depend on it', async () => {
    const t = new Trainer(buildConfig({ tiny: true, overrides: { steps: 6 } }), dataset);
    await t.trainStep();
    const w = t.online.vars['proj.fc1.w'] ?? Object.values(t.online.vars)[0];
    const poison = tf.fill(w.shape, NaN);
    w.assign(poison); // as a bad update (a non-finite gradient) would leave it
    poison.dispose();
    await expect(t.trainStep()).rejects.toMatchObject({ step: 2, kept: 1 });
    t.setPeakLearningRate(t.peakLearningRate / 2);
    await expect(t.trainStep()).rejects.toMatchObject({ step: 2, kept: 1 });
    t.dispose();
  });

  for (const [preset, overrides, label] of [
    ['byol-dense', { steps: 8 }, 'BYOL (target, predictor, BN statistics)'],
    ['syncp-unstructured', { steps: 40, syncp: { regrowth: { enabled: true, rate: 0.3 }, scoreEma: 0.5, schedule: { start: 0.1, end: 0.7, every: 0.05 } } }, 'SyncCP with mask updates and regrowth'],
    ['cdg', { steps: 8 }, 'CDG (its thresholds)'],
  ] as const) {
    it(`with the last good state kept, a divergence rolls back the update before it, bit for bit, and a lower rate trains on: ${label}`, async () => {
      const t = new Trainer(buildConfig({ preset, tiny: true, overrides }), dataset);
      t.keepLastGoodState(true);
      const after: string[] = [await stateText(t)];
      const n = preset === 'syncp-unstructured' ? 6 : 3;
      for (let i = 0; i < n; i++) {
        await t.trainStep();
        after.push(await stateText(t));
      }
      const tensors = tf.memory().numTensors;
      // Step n's update left a state whose next loss is not finite (here: made so by hand).
      const w = t.online.vars['proj.fc1.w'] ?? Object.values(t.online.vars)[0];
      const poison = tf.fill(w.shape, NaN);
      w.assign(poison);
      poison.dispose();
      await expect(t.trainStep()).rejects.toMatchObject({ step: n + 1, kept: n - 1 });
      expect(t.step).toBe(n - 1);
      expect(await stateText(t)).toBe(after[n - 1]);
      // Step n again, from there, at a lower rate: trained, finite, and on from there.
      t.setPeakLearningRate(t.peakLearningRate / 2);
      for (let i = 0; i < 2; i++) {
        const r = await t.trainStep();
        expect(r.step).toBe(n + i);
        expect(Number.isFinite(r.loss)).toBe(true);
      }
      expect(tf.memory().numTensors).toBe(tensors);
      t.dispose();
    });
  }

  it('after a divergence the run continues from the last good step with a lower learning rate', async () => {
    const t = new Trainer(buildConfig({ tiny: true, overrides: { steps: 6 } }), dataset);
    await t.trainStep();
    const w = t.online.vars['proj.fc1.w'] ?? Object.values(t.online.vars)[0];
    const good = w.clone();
    w.assign(tf.fill(w.shape, NaN));
    await expect(t.trainStep()).rejects.toThrow(/diverged at step 2/);
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
