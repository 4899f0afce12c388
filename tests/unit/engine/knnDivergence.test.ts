// A step whose loss is finite but whose update leaves the network giving non-finite kNN
// features (here its BatchNorm running statistics, which training's batch statistics do not
// read) is a divergence of that step: with the last good state kept (the app's worker) it is
// rolled back, bit for bit, and a lower rate trains on; without (the CLIs) it is reported at
// that step. Found by a read-only hunt: it stopped the app's run as "fatal", with no rollback.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';
import { DivergenceError, Trainer } from '../../../src/engine/trainer';
import { stateText } from '../helpers/trainerState';

beforeAll(() => initBackend(['cpu']));
afterEach(() => vi.restoreAllMocks());

const dataset = await loadDataset('shapes', { seed: 1, trainCount: 32, testCount: 16 });
const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 12, eval: { knnEvery: 4, logEvery: 1 } } });


/** Step `at` leaves a BN running mean non-finite after its (finite) update. */
function poisonAfterStep(at: number): void {
  const trainStep = Trainer.prototype.trainStep;
  vi.spyOn(Trainer.prototype, 'trainStep').mockImplementation(async function (this: Trainer) {
    const r = await trainStep.call(this);
    if (r.step === at) {
      const s = Object.values(this.online.stats)[0];
      const nan = tf.fill(s.mean.shape, NaN);
      s.mean.assign(nan);
      nan.dispose();
    }
    return r;
  });
}

describe('non-finite kNN features after a step with a finite loss', () => {
  it('kept state: rolled back to before the step, bit for bit, history trimmed; a lower rate trains on with finite kNN', async () => {
    const s = new RunSession(config, dataset);
    s.trainer.keepLastGoodState(true);
    await s.measureBaselines();
    for (let i = 0; i < 3; i++) await s.trainStep();
    const before = await stateText(s.trainer);
    poisonAfterStep(4);
    const e = await s.trainStep().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DivergenceError);
    expect(e).toMatchObject({ step: 4, kept: 3, rolledBack: true });
    expect((e as Error).message).toMatch(/diverged at step 4: its loss was finite, but the network it left gives non-finite features \(kNN\); the run is kept as it was after step 3/);
    expect(s.trainer.step).toBe(3);
    expect(await stateText(s.trainer)).toBe(before);
    expect(Math.max(...s.history.map((r) => r.step))).toBe(3);
    vi.restoreAllMocks();
    s.scaleLearningRate(0.5);
    const again = await s.trainStep();
    expect(again.result.step).toBe(4);
    expect(Number.isFinite(again.result.loss)).toBe(true);
    expect(Number.isFinite(again.knn)).toBe(true);
    // Flat from here (the state held for the next rollback is in the count from the step on).
    const tensors = tf.memory().numTensors;
    await s.trainStep();
    expect(tf.memory().numTensors).toBe(tensors);
    s.dispose();
  });

  it('nothing kept (the CLIs): a divergence at that step, the run left as it is', async () => {
    const s = new RunSession(config, dataset);
    for (let i = 0; i < 3; i++) await s.trainStep();
    poisonAfterStep(4);
    await expect(s.trainStep()).rejects.toMatchObject({ name: 'DivergenceError', step: 4, kept: 4, rolledBack: false });
    expect(s.trainer.step).toBe(4);
    s.dispose();
  });
});
