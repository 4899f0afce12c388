// The cdg preset in the trainer (tiny, cpu): the read-back gate densities meet the
// preset's 0.4 jointly per layer, rows carry gateDensity and flops, the snapshot's probe
// maps are 0/1, eval mode gates too, and nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { prunableConvs } from '../../../src/engine/nn/resnet';
import type { CDGSnapshot } from '../../../src/engine/sparsity/cdg';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 1, trainCount: 64, testCount: 32 });

describe('cdg preset in the trainer', () => {
  it('SimCLR: final joint gate density 0.4 per layer within one location’s share; rows, FLOPs, snapshot; numTensors flat', async () => {
    const before = tf.memory().numTensors;
    const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 20 } });
    expect(config.cdg?.density).toBe(0.4);
    expect(config.cdg?.beta).toBe(0.25);
    const t = new Trainer(config, dataset);
    const convs = prunableConvs(t.spec.encoder);
    await t.trainStep();
    await t.trainStep();
    const after2 = tf.memory().numTensors;
    let r = await t.trainStep();
    for (let i = 3; i < 20; i++) r = await t.trainStep();
    const row = t.row(r) as { gateDensity: Record<string, { online: number; target: number }>; flops: { dense: number; effective: number } };
    for (const c of convs) {
      const d = row.gateDensity[c.name];
      const share = 1 / (2 * config.batchSize * c.outH * c.outW); // one location of one view
      expect(Math.abs((d.online + d.target) / 2 - 0.4)).toBeLessThanOrEqual(share);
    }
    // Conditional path at 0.4 on ¾ of the input channels: effective < dense.
    expect(row.flops.effective).toBeLessThan(row.flops.dense);
    expect(tf.memory().numTensors).toBe(after2);

    const snap = (await t.plugins[0].snapshot!()) as CDGSnapshot;
    expect(snap.layers.map((l) => l.name)).toEqual(convs.map((c) => c.name));
    expect(snap.probe?.views[0].length).toBe(16 * 16 * 4);
    for (const l of snap.layers) {
      expect(l.flops.skipped).toBeGreaterThan(0);
      const [g1, g2] = l.probe!.gates;
      expect(g1.length).toBe(l.probe!.h * l.probe!.w);
      const all = [...g1, ...g2];
      expect(all.every((v) => v === 0 || v === 1)).toBe(true);
      // The probe pair is gated jointly at the target density too (evaluation mode).
      expect(Math.abs(all.reduce((a, v) => a + v, 0) / all.length - 0.4)).toBeLessThanOrEqual(1 / all.length);
    }
    await t.knn(); // evaluation mode: single-branch gating
    await t.trainStep();
    expect(tf.memory().numTensors).toBe(after2);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('BYOL + cdg: rows report online and target densities (pooled over views) and gating lowers FLOPs', async () => {
    const config = buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 4, ssl: { method: 'byol' }, cdg: { schedule: { start: 0, end: 0 } } } });
    const t = new Trainer(config, dataset);
    let r = await t.trainStep();
    r = await t.trainStep();
    const row = t.row(r) as { gateDensity: Record<string, { online: number; target: number }>; flops: { dense: number; effective: number } };
    for (const c of prunableConvs(t.spec.encoder)) {
      const d = row.gateDensity[c.name];
      const share = 1 / (4 * config.batchSize * c.outH * c.outW);
      expect(Math.abs((d.online + d.target) / 2 - 0.4)).toBeLessThanOrEqual(share);
    }
    expect(row.flops.effective).toBeLessThan(row.flops.dense);
    t.dispose();
  });

  it('learned threshold: Δ variables train and the density penalty is part of the loss', async () => {
    // Same seed, λ = 0 and λ = 10: the first step's forward is the same (Δ = 0 in both), so
    // the losses differ by exactly the penalty. cdg.ts forms it per layer from the gate
    // density pooled over both branches (one threshold for the concatenated saliencies):
    // λ·Σ_layers (pooled − target)², pooled = (online + target)/2 (SimCLR: equal-sized branches).
    const make = (penalty: number) =>
      new Trainer(buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 3, cdg: { threshold: 'learned', penalty, schedule: { start: 0, end: 0 } } } }), dataset);
    type Row = { loss: number; gateTarget: number; gateDensity: Record<string, { online: number; target: number }> };
    const t0 = make(0);
    const row0 = t0.row(await t0.trainStep()) as Row;
    t0.dispose();
    const t = make(10);
    const convs = prunableConvs(t.spec.encoder);
    const vars = t.plugins[0].variables!();
    const names = Object.keys(vars);
    expect(names.length).toBe(convs.length);
    const before = vars[names[0]].dataSync()[0];
    const row10 = t.row(await t.trainStep()) as Row;
    // Window [0, 0]: the schedule is at its final density from step 0.
    expect(row10.gateTarget).toBe(0.4);
    let sum = 0;
    for (const c of convs) {
      const d = row10.gateDensity[c.name];
      expect(row0.gateDensity[c.name]).toEqual(d);
      sum += ((d.online + d.target) / 2 - 0.4) ** 2;
    }
    // Dense start (Δ = 0 on saliencies of mean 1): the penalty is far from 0.
    expect(sum).toBeGreaterThan(0.1);
    // float32 losses of ~3 and ~18 (measured difference from 10·sum: ~1e-6).
    expect(Math.abs(row10.loss - row0.loss - 10 * sum)).toBeLessThan(1e-5 * (1 + 10 * sum));
    await t.trainStep();
    // The penalty pushes Δ up towards the 0.4 target.
    expect(vars[names[0]].dataSync()[0]).toBeGreaterThan(before);
    t.dispose();
  });
});
