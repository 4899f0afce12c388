// SyncCP options beyond the presets (per-branch and EMA scores, global and ERK layer
// budgets) and the panel snapshot: expectations computed by hand or in plain JS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportedMask } from '../../../src/engine/plugin';
import type { SyncCPSnapshot } from '../../../src/engine/viz/syncpPanel';
import { HISTORY_LENGTH, maskHeatmap, MaskHistory } from '../../../src/engine/viz/maskPanel';
import type { Trainer } from '../../../src/engine/trainer';
import { refTopK } from '../sparsity/helpers';
import { count, erkByHand, isSubset, run, size, syncp, tinyTrainer } from './helpers';

const STEPS = 10; // window: start 1, end 7, every 1 — the whole schedule in 10 steps
const LAST_UPDATE = 7; // online 0.2, target 0.5 from here on
const trainers: Trainer[] = [];
const masks: Record<string, ExportedMask[]> = {};

async function finished(tag: string, overrides: Record<string, unknown>): Promise<Trainer> {
  const t = tinyTrainer('syncp-unstructured', overrides, STEPS);
  trainers.push(t);
  await run(t, STEPS);
  masks[tag] = await syncp(t).exportMasks();
  return t;
}

/** Per-branch scores without EMA (BYOL), stopped just before the last update: |W| of both branches, then the masks it chose. */
const raw = {
  absOnline: {} as Record<string, number[]>,
  absTarget: {} as Record<string, number[]>,
  atUpdate: [] as ExportedMask[],
  updateStep: null as number | null,
};
async function perBranchRaw(): Promise<void> {
  const t = tinyTrainer('syncp-unstructured', { syncp: { scores: 'per-branch', scoreEma: 0 } }, STEPS);
  trainers.push(t);
  await run(t, LAST_UPDATE); // steps 0..6
  const p = syncp(t);
  for (const name of p.layerNames()) {
    raw.absOnline[name] = Array.from(await t.online.vars[name].data(), Math.abs);
    raw.absTarget[name] = Array.from(await t.target!.vars[name].data(), Math.abs);
  }
  await p.prepareStep(LAST_UPDATE);
  raw.updateStep = p.lastUpdateStep;
  raw.atUpdate = await p.exportMasks();
  await run(t, STEPS - LAST_UPDATE);
  masks['per-branch-raw'] = await p.exportMasks();
}

let perBranch: Trainer;
let perBranchRawTrainer: Trainer;
beforeAll(async () => {
  perBranch = await finished('per-branch', { syncp: { scores: 'per-branch', scoreEma: 0.9 } });
  await finished('global', { syncp: { layerBudget: 'global' } });
  await finished('erk', { syncp: { layerBudget: 'erk' } });
  await perBranchRaw(); // last: the snapshot tests below use trainers[1]
  perBranchRawTrainer = trainers[trainers.length - 1];
});
afterAll(() => trainers.forEach((t) => t.dispose()));

describe('SyncCP options', () => {
  it('per-branch scores (BYOL): at an update the target keeps the top-k of |W_target|, not of |W_online|', () => {
    // The update before the step at index LAST_UPDATE: row LAST_UPDATE + 1 is the first trained with its masks.
    expect(raw.updateStep).toBe(LAST_UPDATE + 1);
    let differs = 0;
    for (const m of raw.atUpdate) {
      const n = size(m.shape);
      const kOn = Math.round(0.2 * n);
      const kTg = Math.round(0.5 * n);
      const kept = (a: Uint8Array) => new Set(Array.from(a.keys()).filter((i) => a[i] !== 0));
      // Reference top-k (full sort, ties by lower index, as the library breaks them).
      expect(kept(m.target), m.name).toEqual(refTopK(raw.absTarget[m.name], kTg));
      expect(kept(m.online), m.name).toEqual(refTopK(raw.absOnline[m.name], kOn));
      const byOnline = refTopK(raw.absOnline[m.name], kTg);
      if ([...byOnline].some((i) => !m.target[i])) differs++;
    }
    // The two rankings disagree somewhere, so ranking the target by |W_online| would fail above.
    expect(differs).toBeGreaterThan(0);
  });

  it('per-branch scores, with and without EMA: densities as planned; nestedness and IoU in the snapshot match the masks', async () => {
    for (const [tag, t] of [['per-branch', perBranch], ['per-branch-raw', perBranchRawTrainer]] as const) {
      const snap = await syncp(t).snapshot();
      for (const m of masks[tag]) {
        const n = size(m.shape);
        expect(count(m.online)).toBe(Math.round(0.2 * n));
        expect(count(m.target)).toBe(Math.round(0.5 * n));
        let both = 0;
        let either = 0;
        for (let i = 0; i < n; i++) {
          if (m.online[i] && m.target[i]) both++;
          if (m.online[i] || m.target[i]) either++;
        }
        const l = snap.layers.find((x) => x.name === m.name)!;
        expect(l.nested).toBeCloseTo(both / count(m.online), 12);
        expect(l.iou).toBeCloseTo(both / either, 12);
      }
    }
  });

  it('global budget: round(0.2·Σn) kept online and round(0.5·Σn) in the target over all layers, nested', () => {
    const total = masks.global.reduce((s, m) => s + size(m.shape), 0);
    expect(masks.global.reduce((s, m) => s + count(m.online), 0)).toBe(Math.round(0.2 * total));
    expect(masks.global.reduce((s, m) => s + count(m.target), 0)).toBe(Math.round(0.5 * total));
    for (const m of masks.global) expect(isSubset(m.online, m.target)).toBe(true);
  });

  it('ERK budget: each layer keeps round(d_l·n_l) with d_l from the ERK formula at 0.2 and 0.5', () => {
    const shapes = masks.erk.map((m) => m.shape);
    const on = erkByHand(shapes, 0.2);
    const tg = erkByHand(shapes, 0.5);
    masks.erk.forEach((m, i) => {
      expect(count(m.online), m.name).toBe(Math.round(on[i] * size(m.shape)));
      expect(count(m.target), m.name).toBe(Math.round(Math.max(on[i], tg[i]) * size(m.shape)));
      expect(isSubset(m.online, m.target)).toBe(true);
    });
    expect(new Set(on.map((d) => d.toFixed(3))).size).toBeGreaterThan(1);
  });
});

describe('SyncCP snapshot', () => {
  it('is structured-cloneable and describes schedule, layers and the selected layer', async () => {
    const t = trainers[1];
    const p = syncp(t);
    const snap: SyncCPSnapshot = structuredClone(await p.snapshot());
    expect(snap.kind).toBe('syncp');
    expect(snap.step).toBe(STEPS);
    expect(snap.lastUpdateStep).toBe(LAST_UPDATE + 1); // numbered as rows are
    expect(snap.layers.map((l) => l.name)).toEqual(masks.global.map((m) => m.name));
    for (const l of snap.layers) {
      expect(l.nested).toBe(1);
      expect(l.planned).toEqual({ online: 0.2, target: 0.5 });
    }
    // Schedule: a step function from dense down to 0.2, target = min(1, online + 0.3).
    const s = snap.schedule;
    expect(s.steps[0]).toBe(0);
    expect(s.online[0]).toBe(1);
    expect(s.online[s.online.length - 1]).toBeCloseTo(0.2, 12);
    s.online.forEach((d, i) => {
      expect(s.target[i]).toBeCloseTo(Math.min(1, d + 0.3), 12);
      if (i > 0) expect(d).toBeLessThanOrEqual(s.online[i - 1]);
    });
    // Selected layer: default the first; heatmap rows = kh·kw·C_out, cols = C_in, cells 0/255.
    const m = masks.global[0];
    const [kh, kw, cIn, cOut] = m.shape;
    expect(snap.selected.name).toBe(m.name);
    const h = snap.selected.masks;
    expect([h.rows, h.cols, h.rowStep, h.colStep]).toEqual([kh * kw * cOut, cIn, 1, 1]);
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++)
        for (let c = 0; c < cIn; c++)
          for (let o = 0; o < cOut; o++) {
            const cell = ((a * kw + b) * cOut + o) * cIn + c;
            const flat = ((a * kw + b) * cIn + c) * cOut + o;
            expect(h.online[cell]).toBe(m.online[flat] ? 255 : 0);
            expect(h.target[cell]).toBe(m.target[flat] ? 255 : 0);
          }
    // The engine keeps no UI state: the history is the worker's (MaskHistory), the snapshot's is empty.
    expect(snap.selected.history).toEqual([]);
    // The page chooses the layer it shows; an unknown name falls back to the first.
    expect((await p.snapshot({ selectedLayer: 's2.b0.conv2' })).selected.name).toBe('s2.b0.conv2');
    expect((await p.snapshot({ selectedLayer: 'nope' })).selected.name).toBe(m.name);
    expect(p.layerMasks('nope')).toBeUndefined();
    // The worker's history of the selected layer: the masks at each update, as heatmaps, at most HISTORY_LENGTH.
    const lm = p.layerMasks(m.name)!;
    expect(Array.from(lm.online)).toEqual(Array.from(m.online));
    const hist = new MaskHistory(m.name);
    for (let step = 1; step <= HISTORY_LENGTH + 3; step++) hist.record(step, lm);
    expect(hist.entries.map((e) => e.step)).toEqual(Array.from({ length: HISTORY_LENGTH }, (_, i) => i + 4));
    expect(Array.from(hist.entries.at(-1)!.masks.online)).toEqual(Array.from(h.online));
    expect(hist.entries[0].density.online).toBeCloseTo(count(m.online) / size(m.shape), 12);
    expect(() => hist.record(1, p.layerMasks('s2.b0.conv2')!)).toThrow(/MaskHistory of/);
  });

  it('heatmap of a large kernel averages blocks (255 · fraction kept)', () => {
    const shape = [3, 3, 64, 100]; // rows 900 → rowStep 4 (225 rows), cols 64
    const n = size(shape);
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = (i * 7919) % 5 < 2 ? 1 : 0;
    const h = maskHeatmap(keep, shape);
    expect([h.rows, h.cols, h.rowStep, h.colStep]).toEqual([225, 64, 4, 1]);
    // Cell (row-block 1, col 3): rows 4..7 = (a,b)=(0,0), o = 4..7; column c = 3.
    let kept = 0;
    for (let o = 4; o < 8; o++) kept += keep[(0 * 64 + 3) * 100 + o];
    expect(h.cells[1 * 64 + 3]).toBe(Math.round((255 * kept) / 4));
  });
});
