// A quantile gate that keeps no location passes no gradient (Δ = ∞, its surrogate is 0), so
// with the straight-through mode too nothing needs the conditional output at closed
// locations: the FLOPs count the same work as with the detached gradient. At a density
// above 0 the straight-through gradient still needs that forward everywhere, and costs more.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 3, trainCount: 48, testCount: 24 });

async function effectiveAtEnd(density: number, gateGradient: 'ste' | 'detached'): Promise<number> {
  const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 4, seed: 1, cdg: { density, gateGradient, schedule: { start: 0, end: 0.25 } } } });
  const t = new Trainer(config, dataset);
  let last;
  for (let i = 0; i < 3; i++) last = await t.trainStep();
  const f = t.flops(last!.metrics).effective;
  t.dispose();
  return f;
}

describe('CDG FLOPs at gate density 0', () => {
  it("'ste' counts what 'detached' counts when every gate is closed; at 0.4 'ste' counts more", async () => {
    const [ste0, det0] = [await effectiveAtEnd(0, 'ste'), await effectiveAtEnd(0, 'detached')];
    expect(Math.abs(ste0 - det0) / det0).toBeLessThan(1e-9);
    const [ste4, det4] = [await effectiveAtEnd(0.4, 'ste'), await effectiveAtEnd(0.4, 'detached')];
    expect(ste4).toBeGreaterThan(det4 * 1.05);
    // Closing every gate saves more than keeping 40% open, in either mode.
    expect(det0).toBeLessThan(det4);
  });
});
