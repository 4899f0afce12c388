// A step that fails after its update was applied (say SyncCP's regrowth pass runs out of
// memory in afterStep) must not leave the run one update ahead of its step count: saved so,
// a resumed run applies the step again on top of itself. With the state before the step held
// (the app's worker) it is rolled back; without (the CLIs), steps and saves are refused until
// a whole state is loaded. A kNN pass that fails the same way undoes its step where it can, so
// the step and its kNN run again (on the last step the final kNN was lost). Found by a
// read-only hunt of the trainer's step bookkeeping.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import type { StepPlugin } from '../../../src/engine/plugin';
import { RunSession } from '../../../src/engine/session';
import { Trainer } from '../../../src/engine/trainer';
import { stateText } from '../helpers/trainerState';

beforeAll(() => initBackend(['cpu']));
afterEach(() => vi.restoreAllMocks());

const dataset = await loadDataset('shapes', { seed: 2, trainCount: 32, testCount: 16 });
const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 8, eval: { knnEvery: 4, logEvery: 1 } } });


/** A plugin whose afterStep throws at step `at` (0-based, as afterStep is called), once. */
function failAfterUpdate(t: Trainer, at: number): StepPlugin {
  let thrown = false;
  const p: StepPlugin = {
    name: 'failing',
    afterStep: (step) => {
      if (step === at && !thrown) {
        thrown = true;
        throw new Error('out of memory in the regrowth pass');
      }
    },
    dispose: () => undefined,
  };
  t.plugins.push(p);
  return p;
}

describe('a step that fails after its update was applied', () => {
  for (const [label, cfg, n] of [
    ['simclr-dense', config, 2],
    // Masks updated, regrown and their moments reset at step 3 (every 0.1 of 30 steps).
    ['syncp-unstructured with regrowth', buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 30, syncp: { regrowth: { enabled: true, rate: 0.3 }, schedule: { start: 0.1, end: 0.7, every: 0.1 } } } }), 3],
    ['cdg', buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 8 } }), 2],
  ] as const)
  it(`with the state before it held: rolled back bit for bit, the same step trains again as an unbroken run does, no tensor leaked: ${label}`, async () => {
    const t = new Trainer(cfg, dataset);
    t.keepLastGoodState(true);
    const reference = new Trainer(cfg, dataset);
    for (let i = 0; i < n; i++) {
      await t.trainStep();
      await reference.trainStep();
    }
    const before = await stateText(t);
    const tensors = tf.memory().numTensors;
    failAfterUpdate(t, n);
    await expect(t.trainStep()).rejects.toThrow('out of memory in the regrowth pass');
    expect(t.consistent).toBe(true); // the worker then says a recoverable 'step-failed'
    expect(t.step).toBe(n);
    expect(t.optimizerSteps).toBe(n);
    expect(await stateText(t)).toBe(before);
    // Held state for the next rollback: the count is that of a trainer after a step.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors);
    const again = await t.trainStep();
    const ref = await reference.trainStep();
    expect(again.step).toBe(n + 1);
    expect(again.loss).toBe(ref.loss);
    expect(t.optimizerSteps).toBe(n + 1);
    expect(await stateText(t)).toBe(await stateText(reference));
    reference.dispose();
    // Flat from here, over a whole mask-update period (SyncCP's count goes up and down with its updates, every third step).
    const flat = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await t.trainStep();
    expect(tf.memory().numTensors).toBe(flat);
    t.dispose();
  });

  it('nothing held (the CLIs): further steps and saves are refused with the reason, until a whole state is loaded', async () => {
    const t = new Trainer(config, dataset);
    await t.trainStep();
    const saved = await t.saveState();
    failAfterUpdate(t, 1);
    await expect(t.trainStep()).rejects.toThrow('out of memory in the regrowth pass');
    expect(t.consistent).toBe(false);
    await expect(t.trainStep()).rejects.toThrow(/step 2 failed after its update was applied \(out of memory in the regrowth pass\)/);
    await expect(t.saveState()).rejects.toThrow(/^not saved: step 2 failed after its update was applied/);
    t.loadState(saved);
    expect(t.consistent).toBe(true);
    const r = await t.trainStep();
    expect(r.step).toBe(2);
    expect(t.optimizerSteps).toBe(2);
    await expect(t.saveState()).resolves.toMatchObject({ step: 2, optimizerSteps: 2 });
    t.dispose();
  });

  it('a failure before the update (in the forward pass) changes nothing and refuses nothing', async () => {
    const t = new Trainer(config, dataset);
    await t.trainStep();
    const before = await stateText(t);
    t.plugins.push({ name: 'early', beforeStep: () => { throw new Error('kernel failed'); }, dispose: () => undefined });
    await expect(t.trainStep()).rejects.toThrow('kernel failed');
    expect(t.consistent).toBe(true);
    t.plugins.pop();
    expect(await stateText(t)).toBe(before);
    await expect(t.trainStep()).resolves.toMatchObject({ step: 2 });
    t.dispose();
  });
});

describe('a kNN pass that fails other than by non-finite features', () => {
  /** Trainer.knn rejects once at the given trained step. */
  function failKnnAt(step: number): void {
    const knn = Trainer.prototype.knn;
    let thrown = false;
    vi.spyOn(Trainer.prototype, 'knn').mockImplementation(async function (this: Trainer) {
      if (this.step === step && !thrown) {
        thrown = true;
        throw new Error('readback failed');
      }
      return knn.call(this);
    });
  }

  it('held state: the step is undone, so on the last step the run is not done and its final kNN is measured when it trains again', async () => {
    const s = new RunSession(config, dataset);
    s.trainer.keepLastGoodState(true);
    await s.measureBaselines();
    for (let i = 0; i < 7; i++) await s.trainStep();
    failKnnAt(8);
    await expect(s.trainStep()).rejects.toThrow('readback failed');
    expect(s.trainer.step).toBe(7);
    expect(s.done).toBe(false);
    expect(Math.max(...s.history.map((r) => r.step))).toBe(7);
    const last = await s.trainStep();
    expect(last.row.step).toBe(8);
    expect(Number.isFinite(last.knn)).toBe(true);
    expect(s.done).toBe(true);
    expect(s.history.filter((r) => r.step === 8)).toHaveLength(1);
    s.dispose();
  });

  it('held state, but undoing the step fails too: the state is not known to be whole, so steps and saves are refused', async () => {
    const s = new RunSession(config, dataset);
    s.trainer.keepLastGoodState(true);
    for (let i = 0; i < 3; i++) await s.trainStep();
    failKnnAt(4);
    vi.spyOn(Trainer.prototype, 'loadState').mockImplementationOnce(() => {
      throw new Error('out of memory while loading');
    });
    const tensors = tf.memory().numTensors;
    // Said with what it means for the run, the cause inside.
    await expect(s.trainStep()).rejects.toThrow(/^step 4 could not be undone \(out of memory while loading\): this run's state is no longer known to be whole/);
    expect(s.trainer.consistent).toBe(false);
    await expect(s.trainer.saveState()).rejects.toThrow(/^not saved: step 4 could not be undone \(out of memory while loading\)/);
    await expect(s.trainStep()).rejects.toThrow(/step 4 could not be undone/);
    // The held state went with it, and nothing is held now: fewer tensors than before that step (which held step 2's).
    expect(tf.memory().numTensors).toBeLessThan(tensors);
    s.dispose();
  });

  it('held state, but its read-back fails while undoing: the held tensors are released, the state refused', async () => {
    const s = new RunSession(config, dataset);
    s.trainer.keepLastGoodState(true);
    for (let i = 0; i < 3; i++) await s.trainStep();
    const knn = Trainer.prototype.knn;
    let thrown = false;
    vi.spyOn(Trainer.prototype, 'knn').mockImplementation(async function (this: Trainer) {
      if (this.step === 4 && !thrown) {
        thrown = true;
        // The undo's own read-back (of the held state) fails next.
        vi.spyOn(tf.Tensor.prototype, 'data').mockRejectedValueOnce(new Error('readback failed again'));
        throw new Error('readback failed');
      }
      return knn.call(this);
    });
    const tensors = tf.memory().numTensors;
    await expect(s.trainStep()).rejects.toThrow(/^step 4 could not be undone \(readback failed again\)/);
    expect(s.trainer.consistent).toBe(false);
    // Step 4's state stays (it was not undone); the state held before it is released, and with
    // nothing held now there are fewer tensors than before that step (which held step 2's).
    expect(tf.memory().numTensors).toBeLessThan(tensors);
    s.dispose();
  });

  it('a divergence whose rollback fails: said as a state not known to be whole (not as a rolled-back divergence), steps and saves refused', async () => {
    const t = new Trainer(config, dataset);
    t.keepLastGoodState(true);
    for (let i = 0; i < 3; i++) await t.trainStep();
    // Step 3's update left a state whose next loss is not finite (made so by hand), and the rollback's load fails.
    const w = t.online.vars['proj.fc1.w'] ?? Object.values(t.online.vars)[0];
    const poison = tf.fill(w.shape, NaN);
    w.assign(poison);
    poison.dispose();
    vi.spyOn(Trainer.prototype, 'loadState').mockImplementationOnce(() => {
      throw new Error('out of memory while loading');
    });
    await expect(t.trainStep()).rejects.toThrow(/^step 3 could not be undone \(out of memory while loading\)/);
    expect(t.consistent).toBe(false);
    await expect(t.saveState()).rejects.toThrow(/^not saved: step 3 could not be undone/);
    t.dispose();
  });

  it('held state: a step whose row cannot be made (after its update) is undone as a failed kNN pass is', async () => {
    const s = new RunSession(config, dataset);
    s.trainer.keepLastGoodState(true);
    for (let i = 0; i < 2; i++) await s.trainStep();
    const before = await stateText(s.trainer);
    vi.spyOn(Trainer.prototype, 'row').mockImplementationOnce(() => {
      throw new Error('row failed');
    });
    await expect(s.trainStep()).rejects.toThrow('row failed');
    expect(s.trainer.step).toBe(2);
    expect(s.trainer.consistent).toBe(true);
    expect(await stateText(s.trainer)).toBe(before);
    await expect(s.trainStep()).resolves.toMatchObject({ row: { step: 3 } });
    s.dispose();
  });

  it('nothing held: the applied step keeps its row, without a kNN', async () => {
    const s = new RunSession(config, dataset);
    for (let i = 0; i < 3; i++) await s.trainStep();
    failKnnAt(4);
    await expect(s.trainStep()).rejects.toThrow('readback failed');
    expect(s.trainer.step).toBe(4);
    const row = s.history.find((r) => r.step === 4);
    expect(row).toBeDefined();
    expect(row!.knn).toBeUndefined();
    s.dispose();
  });
});
