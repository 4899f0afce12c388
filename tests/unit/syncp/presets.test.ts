// The three SyncCP presets run through their whole schedule at the tiny size: end
// densities per layer and branch as DESIGN.md states them (computed here by hand from
// the preset numbers), nesting element-wise, 2:4 groups counted in plain JS, the BYOL
// target's extra positions holding weights, the density row, and no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportedMask } from '../../../src/engine/plugin';
import type { SyncCPSnapshot } from '../../../src/engine/viz/syncpPanel';
import { decodeRunFileMasksForTest } from './roundtrip';
import type { Trainer } from '../../../src/engine/trainer';
import { channelsOf, count, groupCounts, isSubset, size, syncp, tinyTrainer } from './helpers';

const STEPS = 20;

interface Done {
  trainer: Trainer;
  masks: ExportedMask[];
  counts: number[];
  lastRow: Record<string, unknown>;
}

const done: Record<string, Done> = {};
let before = 0;

beforeAll(async () => {
  before = tf.memory().numTensors;
  for (const preset of ['syncp-unstructured', 'syncp-channel', 'syncp-2of4']) {
    const trainer = tinyTrainer(preset, {}, STEPS);
    const counts: number[] = [];
    let lastRow: Record<string, unknown> = {};
    for (let i = 0; i < STEPS; i++) {
      const r = await trainer.trainStep();
      counts.push(tf.memory().numTensors);
      lastRow = trainer.row(r);
    }
    done[preset] = { trainer, masks: await syncp(trainer).exportMasks(), counts, lastRow };
  }
});

afterAll(() => {
  for (const d of Object.values(done)) d.trainer.dispose();
  expect(tf.memory().numTensors).toBe(before);
});

describe('SyncCP presets after the whole schedule', () => {
  it('masks every prunable conv (not the stem) with its kernel shape', () => {
    const names = done['syncp-unstructured'].masks.map((m) => m.name);
    const convs = done['syncp-unstructured'].trainer.spec.encoder.convs.map((c) => c.name);
    expect(names).toEqual(convs.filter((n) => n !== 'stem.conv'));
    expect(names).toContain('s2.b0.conv2');
    const online = done['syncp-unstructured'].trainer.online.vars;
    for (const m of done['syncp-unstructured'].masks) {
      expect(m.shape).toEqual(online[m.name].shape);
      expect(m.online.length).toBe(size(m.shape));
    }
  });

  it('syncp-unstructured: online keeps round(0.2·n), target round(0.5·n), online ⊆ target', () => {
    for (const m of done['syncp-unstructured'].masks) {
      const n = size(m.shape);
      expect(count(m.online), m.name).toBe(Math.round(0.2 * n));
      expect(count(m.target), m.name).toBe(Math.round(0.5 * n));
      expect(isSubset(m.online, m.target), m.name).toBe(true);
    }
  });

  it('syncp-channel: whole output channels, round(0.5·C_out) online and round(0.75·C_out) target, nested', () => {
    for (const m of done['syncp-channel'].masks) {
      const cOut = m.shape[3];
      const on = channelsOf(m.online, m.shape);
      const tg = channelsOf(m.target, m.shape);
      expect(on.reduce((a, b) => a + b, 0), m.name).toBe(Math.round(0.5 * cOut));
      expect(tg.reduce((a, b) => a + b, 0), m.name).toBe(Math.round(0.75 * cOut));
      expect(on.every((v, o) => v === 0 || tg[o] === 1)).toBe(true);
    }
  });

  it('syncp-2of4: every full group of 4 input channels keeps exactly 2 online; 70% of groups are 2:4 in the target, the rest dense', () => {
    for (const m of done['syncp-2of4'].masks) {
      const on = groupCounts(m.online, m.shape, 4);
      const tg = groupCounts(m.target, m.shape, 4);
      expect(on.length).toBeGreaterThan(0);
      expect(on.every((k) => k === 2), m.name).toBe(true);
      const twoOfFour = tg.filter((k) => k === 2).length;
      expect(twoOfFour, m.name).toBe(Math.round(0.7 * tg.length));
      expect(tg.filter((k) => k === 4).length, m.name).toBe(tg.length - twoOfFour);
      expect(isSubset(m.online, m.target), m.name).toBe(true);
    }
  });

  it('syncp-2of4 snapshot: measured N:M group fractions 1 online, round(0.7·G)/G target; planned densities match the masks', async () => {
    const snap: SyncCPSnapshot = await syncp(done['syncp-2of4'].trainer).snapshot();
    for (const m of done['syncp-2of4'].masks) {
      const l = snap.layers.find((x) => x.name === m.name)!;
      const groups = groupCounts(m.online, m.shape, 4).length;
      expect(l.nmFraction).toEqual({ online: 1, target: Math.round(0.7 * groups) / groups });
      expect(l.planned.online).toBeCloseTo(count(m.online) / m.online.length, 12);
      expect(l.planned.target).toBeCloseTo(count(m.target) / m.target.length, 12);
      expect(l.nested).toBe(1);
    }
    expect(snap.schedule.quantity).toBe('nmFraction');
    expect(snap.schedule.online.at(-1)).toBe(1);
    expect(snap.schedule.target.at(-1)).toBeCloseTo(0.7, 12);
  });

  it('BYOL: every position the target keeps beyond the online mask holds a non-zero target weight', () => {
    for (const preset of ['syncp-unstructured', 'syncp-channel', 'syncp-2of4']) {
      const { trainer, masks } = done[preset];
      for (const m of masks) {
        const w = trainer.target!.vars[m.name].dataSync();
        let extra = 0;
        for (let i = 0; i < w.length; i++) {
          if (m.target[i] && !m.online[i]) {
            extra++;
            expect(w[i], `${preset} ${m.name}[${i}]`).not.toBe(0);
          }
        }
        expect(extra, `${preset} ${m.name}`).toBeGreaterThan(0);
      }
    }
  });

  it('the logged row carries density per layer and branch, equal to the exported masks', () => {
    for (const { masks, lastRow } of Object.values(done)) {
      const density = lastRow.density as Record<string, { online: number; target: number }>;
      for (const m of masks) {
        expect(density[m.name].online).toBeCloseTo(count(m.online) / m.online.length, 6);
        expect(density[m.name].target).toBeCloseTo(count(m.target) / m.target.length, 6);
      }
      const flops = lastRow.flops as { dense: number; effective: number };
      expect(flops.effective).toBeLessThan(flops.dense);
    }
  });

  it('run.json masks round-trip through the contract encoding', () => {
    const masks = done['syncp-2of4'].masks;
    const decoded = decodeRunFileMasksForTest(done['syncp-2of4'].trainer.config, masks);
    expect(decoded.map((d) => d.name)).toEqual(masks.map((m) => m.name));
    decoded.forEach((d, i) => {
      expect(Array.from(d.online)).toEqual(Array.from(masks[i].online));
      expect(Array.from(d.target)).toEqual(Array.from(masks[i].target));
    });
  });

  it('numTensors is flat over the steps (masks replaced, not accumulated)', () => {
    for (const [preset, d] of Object.entries(done)) {
      // Step 1 creates the optimizer's moments; from then on the count never moves.
      expect(new Set(d.counts.slice(1)).size, preset).toBe(1);
    }
  });
});
