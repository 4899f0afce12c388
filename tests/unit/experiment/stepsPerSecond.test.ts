// The experiment tables' steps/s leave out the first step, as `npm run train` does: the first
// compiles and warms caches, and counted in it made short runs look slower than their steps.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runOne } from '../../../src/cli/experimentRun';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { RunSession } from '../../../src/engine/session';

beforeAll(() => initBackend(['cpu']));
afterEach(() => vi.restoreAllMocks());

describe('experiment steps per second', () => {
  it('is the rate after the first step: a first step made 2 s slower leaves it well above the whole run\'s rate', async () => {
    const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 4, eval: { knnEvery: 0, logEvery: 1 }, data: { name: 'shapes', trainCount: 32, testCount: 16 } } });
    const trainStep = RunSession.prototype.trainStep;
    let calls = 0;
    vi.spyOn(RunSession.prototype, 'trainStep').mockImplementation(async function (this: RunSession) {
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 2000));
      return trainStep.call(this);
    });
    const run = await runOne(config, 'simclr-dense', () => {}, 0);
    const wholeRun = run.steps / (run.seconds - run.knnSeconds);
    expect(calls).toBe(4);
    // Three steps of the tiny model take far under 0.6 × 2 s even on a loaded machine (~15 ms each quiet), so the steady rate is more than twice the whole run's.
    expect(run.stepsPerSecond).toBeGreaterThan(2 * wholeRun);
  });
});
