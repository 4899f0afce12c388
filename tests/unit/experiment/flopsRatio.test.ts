// The experiment tables' FLOPs ratio of a step counts SyncCP's regrowth gradient pass, as the
// step's own row does (Trainer.flops): found by a read-only hunt, the tables left it out.
import { beforeAll, describe, expect, it } from 'vitest';
import { flopsRatio } from '../../../src/cli/experimentRun';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';

beforeAll(() => initBackend(['cpu']));

describe('experiment FLOPs ratio', () => {
  it('equals each step row\'s own effective / dense FLOPs, regrowth steps included, which count more than the same densities without the pass', async () => {
    const config = buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 20, eval: { knnEvery: 0, logEvery: 1 }, syncp: { regrowth: { enabled: true, rate: 0.3 }, schedule: { start: 0.1, end: 0.7, every: 0.1 } } } });
    const session = new RunSession(config, await loadDataset('shapes', { seed: 1, trainCount: 32, testCount: 16 }));
    let regrowthSteps = 0;
    try {
      while (!session.done) {
        const s = await session.trainStep();
        const own = s.row.flops!.effective / s.row.flops!.dense;
        expect(flopsRatio(session, s.row, 'ste', s.result.gradientPasses), `step ${s.row.step}`).toBeCloseTo(own, 6);
        if (s.result.gradientPasses?.length) {
          regrowthSteps++;
          expect(flopsRatio(session, s.row, 'ste')).toBeLessThan(own);
        }
      }
    } finally {
      session.dispose();
    }
    expect(regrowthSteps).toBeGreaterThan(0);
  });
});
