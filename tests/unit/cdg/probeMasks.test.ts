// CDG beside SyncCP counts and shows the network that trains: its probe (the gate maps the
// panel draws for a fixed image pair) and its per-layer FLOPs. The probe runs the network that
// trains: beside SyncCP, each branch with its own weight masks, not the dense weights.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { forwardResNet } from '../../../src/engine/nn/resnet';
import type { CDGPlugin, CDGSnapshot } from '../../../src/engine/sparsity/cdg';
import { Trainer, type StepResult } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 3, trainCount: 48, testCount: 24 });

type Hooked = { makeHook(kind: 'probe', step: number, capture: Map<string, tf.Tensor[]>): unknown; step: number };

/** SimCLR with SyncCP (unstructured) and CDG, six steps in: the online density is low by now. */
async function combinedRun(): Promise<{ t: Trainer; last: StepResult }> {
  const config = buildConfig({
    preset: 'syncp-unstructured',
    tiny: true,
    overrides: { steps: 8, seed: 1, ssl: { method: 'simclr' }, syncp: { schedule: { start: 0, end: 0.4, every: 0.2 } }, cdg: { beta: 0.25, density: 0.4, schedule: { start: 0, end: 0.4 } } },
  });
  const t = new Trainer(config, dataset);
  let last: StepResult | undefined;
  for (let i = 0; i < 6; i++) {
    last = await t.trainStep();
    t.row(last);
  }
  return { t, last: last! };
}

describe('CDG probe beside SyncCP', () => {
  it('gives the gates of a forward with each branch\'s SyncCP masks, which differ from the dense network\'s', async () => {
    const { t } = await combinedRun();
    const cdg = t.plugins.find((p) => p.name === 'cdg') as CDGPlugin;
    const sp = t.plugins.find((p) => p.name === 'syncp')!;
    const snap = (await cdg.snapshot()) as CDGSnapshot;
    const probe = t.views(0, [0]);
    // The reference: the probe's own hook over a forward with the roles' masks (or none).
    const differing = (withMasks: boolean) => {
      const capture = new Map<string, tf.Tensor[]>();
      tf.tidy(() => {
        const branches = (['first', 'second'] as const).map((r) => ({ params: t.online.vars, stats: t.online.stats, masks: withMasks ? sp.masks!(r) : undefined }));
        forwardResNet(t.spec.encoder, branches, probe, { training: false, convHook: (cdg as unknown as Hooked).makeHook('probe', (cdg as unknown as Hooked).step, capture) as never });
      });
      let diff = 0;
      let total = 0;
      for (const l of snap.layers) {
        const mine = capture.get(l.name)!;
        for (let b = 0; b < 2; b++) {
          const a = mine[b].dataSync();
          const s = l.probe!.gates[b];
          for (let i = 0; i < a.length; i++) {
            total++;
            if (Math.abs(a[i] - s[i]) > 1e-6) diff++;
          }
        }
        tf.dispose(mine);
      }
      return { diff, total };
    };
    const masked = differing(true);
    const dense = differing(false);
    expect(masked.total).toBeGreaterThan(100);
    expect(masked.diff).toBe(0);
    // The masks matter here (the online density is low by now): the dense network's gates differ.
    expect(dense.diff).toBeGreaterThan(0);
    tf.dispose(probe);
    t.dispose();
  });

  // CDG's per-layer FLOPs (its panel's table): the network that trains, with its pruned
  // weights, as the step's FLOPs count it — not the dense weights under CDG's gates.
  it("each gated layer's dense and effective FLOPs are the step's (the trainer's count over both plugins)", async () => {
    const { t, last } = await combinedRun();
    const step = t.flops(last.metrics).layers;
    const cdg = t.plugins.find((p) => p.name === 'cdg') as CDGPlugin;
    const snap = (await cdg.snapshot()) as CDGSnapshot;
    expect(snap.layers.length).toBeGreaterThan(0);
    for (const l of snap.layers) {
      const s = step.find((x) => x.name === l.name)!;
      // Relative 1e-6: the step reads densities back in float32, the snapshot counts the masks.
      expect(Math.abs(l.flops.dense - s.dense) / s.dense, l.name).toBeLessThan(1e-6);
      expect(Math.abs(l.flops.effective - s.effective) / s.effective, l.name).toBeLessThan(1e-6);
    }
    // The weights matter here: the online density is low by now, and the count is under dense.
    const sparse = snap.layers.reduce((a, l) => a + l.flops.effective, 0);
    const syncp = t.plugins.find((p) => p.name === 'syncp')!;
    const w = syncp.weightDensity!({});
    expect(Object.values(w).some((d) => d.online < 0.9)).toBe(true);
    expect(sparse).toBeLessThan(snap.layers.reduce((a, l) => a + l.flops.dense, 0));
    t.dispose();
  });
});
