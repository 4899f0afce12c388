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
          // The row says what its pass cost: without it, the step is counted as the same
          // densities without a pass are (the experiment's own count).
          expect(s.row.flops!.pass, `step ${s.row.step}`).toBeGreaterThan(0);
          expect((s.row.flops!.effective - s.row.flops!.pass!) / s.row.flops!.dense).toBeCloseTo(flopsRatio(session, s.row, 'ste'), 9);
        } else expect(s.row.flops!.pass, `step ${s.row.step}`).toBeUndefined();
      }
    } finally {
      session.dispose();
    }
    expect(regrowthSteps).toBeGreaterThan(0);
  });
});
