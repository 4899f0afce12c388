// CDG's per-layer FLOPs (its panel's table) beside SyncCP: the network that trains, with its
// pruned weights, as the step's FLOPs count it — not the dense weights under CDG's gates.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import type { CDGPlugin, CDGSnapshot } from '../../../src/engine/sparsity/cdg';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 3, trainCount: 48, testCount: 24 });

describe('CDG snapshot FLOPs beside SyncCP', () => {
  it("each gated layer's effective FLOPs are the step's (the trainer's count over both plugins), under the gates-only count", async () => {
    const config = buildConfig({
      preset: 'syncp-unstructured',
      tiny: true,
      overrides: { steps: 8, seed: 1, ssl: { method: 'simclr' }, syncp: { schedule: { start: 0, end: 0.4, every: 0.2 } }, cdg: { beta: 0.25, density: 0.4, schedule: { start: 0, end: 0.4 } } },
    });
    const t = new Trainer(config, dataset);
    let last;
    for (let i = 0; i < 6; i++) {
      last = await t.trainStep();
      t.row(last);
    }
    const step = t.flops(last!.metrics).layers;
    const cdg = t.plugins.find((p) => p.name === 'cdg') as CDGPlugin;
    const snap = (await cdg.snapshot()) as CDGSnapshot;
    expect(snap.layers.length).toBeGreaterThan(0);
    for (const l of snap.layers) {
      const s = step.find((x) => x.name === l.name)!;
      // Relative 1e-6: the step reads densities back in float32, the snapshot counts the masks.
      expect(Math.abs(l.flops.dense - s.dense) / s.dense, l.name).toBeLessThan(1e-6);
      expect(Math.abs(l.flops.effective - s.effective) / s.effective, l.name).toBeLessThan(1e-6);
    }
    // The weights matter here (online density is low by now): the gates alone would count more.
    const sparse = snap.layers.reduce((a, l) => a + l.flops.effective, 0);
    const syncp = t.plugins.find((p) => p.name === 'syncp')!;
    const w = syncp.weightDensity!({});
    expect(Object.values(w).some((d) => d.online < 0.9)).toBe(true);
    expect(sparse).toBeLessThan(snap.layers.reduce((a, l) => a + l.flops.dense, 0));
    t.dispose();
  });
});
