// SimCLR with SyncCP: the second branch runs the denser (target) mask, so its batch
// statistics differ from the first branch's. Evaluation (kNN, linear probe) runs the first
// branch's masks, so BatchNorm's running statistics must come from that branch alone: they
// may not depend on the second branch's mask. Two runs that differ only in the gap (the
// target mask) must then have the same running statistics.
import { describe, expect, it } from 'vitest';
import { run, syncp, tinyTrainer } from './helpers';

async function afterSteps(gap: number, steps: number) {
  // A random ERK start below 1: the masks differ from step 0 (the target keeps d_i + gap).
  const t = tinyTrainer('syncp-unstructured', { ssl: { method: 'simclr' }, syncp: { initialDensity: 0.7, density: 0.5, gap } }, 40);
  const online = (await syncp(t).exportMasks()).map((m) => Array.from(m.online));
  const target = (await syncp(t).exportMasks()).map((m) => Array.from(m.target));
  await run(t, steps);
  const stats = Object.fromEntries(await Promise.all(Object.entries(t.online.stats).map(async ([k, s]) => [k, [...(await s.mean.data()), ...(await s.variance.data())]] as const)));
  t.dispose();
  return { online, target, stats };
}

describe('SimCLR with SyncCP: BatchNorm running statistics', () => {
  it('do not depend on the second branch\'s (denser) mask', async () => {
    // One step: its running statistics come from its forward alone (the weights it trains then differ).
    const [same, denser] = [await afterSteps(0, 1), await afterSteps(0.3, 1)];
    // The first branch's masks are the same in both runs; the second branch's are not.
    expect(denser.online).toEqual(same.online);
    expect(same.target).toEqual(same.online);
    expect(denser.target).not.toEqual(denser.online);
    // A layer whose masks differ (s2.b0.bn1 follows the pruned s2.b0.conv1): its running
    // statistics are the first branch's, whatever the second branch computes.
    for (const [name, values] of Object.entries(same.stats)) {
      const other = denser.stats[name];
      for (let i = 0; i < values.length; i++) expect(Math.abs(other[i] - values[i]), `${name}[${i}]`).toBeLessThan(1e-6);
    }
  });
});
