// Pure transforms behind the panels: mask → heatmap cells (with the engine's layout),
// cell colours, hover info, gate overlay, rasterising, timeline decimation, cumulative
// FLOPs and the schedule preview. Expected values are worked out by hand in comments.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { heatmapPair, maskHeatmap } from '../../../src/engine/viz/maskPanel';
import { gateOverlayRgba } from '../../../src/ui/transforms/gateOverlay';
import { blockFractions, cellFractions, dominantCategory, maskCellInfo, maskRgba } from '../../../src/ui/transforms/maskCells';
import { hexToRgb, MASK_COLOURS, OKABE_ITO, viridis } from '../../../src/ui/transforms/palette';
import { bandLinesDrawn, rasterize } from '../../../src/ui/transforms/raster';
import { gridSize } from '../../../src/ui/Heatmap';
import { asCompletedSteps, schedulePoints, withPlanned } from '../../../src/ui/transforms/schedulePoints';
import { cumulativeFlops, downsample, key, layerSeries } from '../../../src/ui/transforms/series';
import { thinByAge } from '../../../src/engine/thinning';
import { pushDecimated } from '../../../src/ui/transforms/timeline';
import type { ProgressRow } from '../../../src/worker/protocol';

const flat = (shape: number[], a: number, b: number, c: number, o: number) => ((a * shape[1] + b) * shape[2] + c) * shape[3] + o;

function pair(online: Uint8Array, target: Uint8Array, shape: number[], maxSide?: number) {
  const a = maskHeatmap(online, shape, maxSide);
  const b = maskHeatmap(target, shape, maxSide);
  return { ...a, online: a.cells, target: b.cells };
}

describe('mask → heatmap cells', () => {
  it('one cell per weight: rows (kernel position, output channel), columns input channels; categories exact', () => {
    // Kernel [1, 1, 3, 2]: rows o = 0, 1; columns c = 0, 1, 2.
    const shape = [1, 1, 3, 2];
    const online = new Uint8Array(6);
    const target = new Uint8Array(6);
    online[flat(shape, 0, 0, 0, 0)] = 1;
    for (const [c, o] of [[0, 0], [1, 0], [2, 1]]) target[flat(shape, 0, 0, c, o)] = 1;
    const h = pair(online, target, shape);
    expect({ rows: h.rows, cols: h.cols, rowStep: h.rowStep, colStep: h.colStep }).toEqual({ rows: 2, cols: 3, rowStep: 1, colStep: 1 });
    const cats = Array.from({ length: 6 }, (_, i) => dominantCategory(cellFractions(h.online[i], h.target[i])));
    expect(cats).toEqual(['both', 'targetOnly', 'pruned', 'pruned', 'pruned', 'targetOnly']);
    // Colours are exactly the legend's.
    const px = maskRgba(h);
    expect([...px.slice(0, 3)]).toEqual([...hexToRgb(MASK_COLOURS.both)]);
    expect([...px.slice(4, 7)]).toEqual([...hexToRgb(MASK_COLOURS.targetOnly)]);
    expect([...px.slice(8, 11)]).toEqual([...hexToRgb(MASK_COLOURS.pruned)]);
  });

  it('kernel positions stack as row bands of C_out rows', () => {
    // [1, 2, 1, 3]: row r = b·3 + o. Keep only (b=1, o=2) → row 5.
    const shape = [1, 2, 1, 3];
    const m = new Uint8Array(6);
    m[flat(shape, 0, 1, 0, 2)] = 1;
    const h = pair(m, m, shape);
    expect([...h.online]).toEqual([0, 0, 0, 0, 0, 255]);
    expect(maskCellInfo(h, shape, 5, 0)?.weight).toEqual({ a: 0, b: 1, o: 2, c: 0 });
  });

  it('blocks: a 4×4 kernel slice at max side 2 averages 2×2 weights per cell', () => {
    // [1, 1, 4, 4]: 4 rows (o) × 4 columns (c) → 2 × 2 cells of 2 × 2 weights.
    const shape = [1, 1, 4, 4];
    const online = new Uint8Array(16);
    const target = new Uint8Array(16);
    // Top-left block (o 0–1, c 0–1): online keeps 1 of 4, target keeps 3 of 4 (including online's).
    online[flat(shape, 0, 0, 0, 0)] = 1;
    for (const [c, o] of [[0, 0], [1, 0], [0, 1]]) target[flat(shape, 0, 0, c, o)] = 1;
    // Bottom-right block (o 2–3, c 2–3): both keep all 4.
    for (const [c, o] of [[2, 2], [3, 2], [2, 3], [3, 3]]) {
      online[flat(shape, 0, 0, c, o)] = 1;
      target[flat(shape, 0, 0, c, o)] = 1;
    }
    const h = pair(online, target, shape, 2);
    expect({ rows: h.rows, cols: h.cols, rowStep: h.rowStep, colStep: h.colStep }).toEqual({ rows: 2, cols: 2, rowStep: 2, colStep: 2 });
    expect([...h.online]).toEqual([64, 0, 0, 255]); // round(255/4) = 64
    expect([...h.target]).toEqual([191, 0, 0, 255]); // round(3·255/4) = 191
    const f = cellFractions(h.online[0], h.target[0]);
    expect(f.both).toBeCloseTo(64 / 255, 10);
    expect(f.targetOnly).toBeCloseTo(127 / 255, 10);
    expect(f.pruned).toBeCloseTo(64 / 255, 10);
    expect(f.onlineOnly).toBe(0);
    const info = maskCellInfo(h, shape, 0, 0)!;
    expect(info.rows).toEqual([0, 1]);
    expect(info.inputs).toEqual([0, 1]);
    expect(info.weight).toBeUndefined();
    // The tooltip's shares are whole weights of the block's 4: ¼, ½, ¼ (the bytes say 25.1%, 49.8%, 25.1%).
    expect(info.fractions).toEqual({ both: 0.25, targetOnly: 0.5, onlineOnly: 0, pruned: 0.25 });
    expect(maskCellInfo(h, shape, 2, 0)).toBeUndefined();
  });

  it('hover shares are exact for any block under 255 weights: k of n from the bytes, by hand', () => {
    // 2 weights, one kept by both, one pruned: the bytes say 128/255 = 50.2%.
    expect(blockFractions(128, 128, 128, 2)).toEqual({ both: 0.5, targetOnly: 0, onlineOnly: 0, pruned: 0.5 });
    // 9 weights, 1 kept by both, 4 more by the target: bytes 28, 142, 28 (11.0%, 44.7%, 44.3% as bytes).
    const f = blockFractions(28, 142, 28, 9);
    expect([f.both * 9, f.targetOnly * 9, f.onlineOnly * 9, f.pruned * 9].map((x) => Math.round(x * 1e9) / 1e9)).toEqual([1, 4, 0, 4]);
    // Every (k_on, k_tg, k_both) of a block of n recovers exactly from its bytes.
    for (const n of [1, 3, 7, 36, 200, 254]) {
      for (let on = 0; on <= n; on += Math.max(1, n >> 3)) {
        for (let tg = 0; tg <= n; tg += Math.max(1, n >> 3)) {
          const lo = Math.max(0, on + tg - n);
          const both = Math.min(on, tg, lo + 1);
          const byte = (k: number) => Math.round((255 * k) / n);
          const g = blockFractions(byte(on), byte(tg), byte(both), n);
          expect(Math.round(g.both * n)).toBe(both);
          expect(Math.round(g.targetOnly * n)).toBe(tg - both);
          expect(Math.round(g.onlineOnly * n)).toBe(on - both);
          expect(Math.round(g.pruned * n)).toBe(n - on - tg + both);
        }
      }
    }
  });

  it('a half-kept block is coloured halfway between the two category colours', () => {
    const px = maskRgba({ rows: 1, cols: 1, online: Uint8Array.of(0), target: Uint8Array.of(128) });
    const t = hexToRgb(MASK_COLOURS.targetOnly);
    const p = hexToRgb(MASK_COLOURS.pruned);
    for (let c = 0; c < 3; c++) expect(Math.abs(px[c] - (128 * t[c] + 127 * p[c]) / 255)).toBeLessThanOrEqual(1);
  });

  it('a block whose masks do not overlap (per-branch scores) reads as such, not as nested', () => {
    // 1×1 kernel, 1024 inputs → 256 columns of 4 inputs each (colStep 4): the first cell
    // covers inputs 0–3. Online keeps input 0, target inputs 1 and 2: no weight in both.
    const shape = [1, 1, 1024, 1];
    const online = new Uint8Array(1024);
    const target = new Uint8Array(1024);
    online[0] = 1;
    target[1] = target[2] = 1;
    const h = heatmapPair(online, target, shape);
    expect(h.colStep).toBe(4);
    expect([h.online[0], h.target[0], h.both![0]]).toEqual([64, 128, 0]); // round(255/4), round(255/2)
    const f = maskCellInfo(h, shape, 0, 0)!.fractions;
    // Hand values: both 0, online only ¼, target only ½, pruned ¼ (whole weights of the block's 4).
    expect(f).toEqual({ both: 0, onlineOnly: 0.25, targetOnly: 0.5, pruned: 0.25 });
    // As bytes over 255 (what the colour blends): 64, 128, 63.
    const fb = cellFractions(h.online[0], h.target[0], h.both![0]);
    expect(fb.onlineOnly).toBeCloseTo(64 / 255, 10);
    expect(fb.targetOnly).toBeCloseTo(128 / 255, 10);
    expect(fb.pruned).toBeCloseTo(63 / 255, 10);
    // Without the overlap bytes (an older snapshot) the split is the nested bound: both ¼.
    expect(cellFractions(64, 128).both).toBeCloseTo(64 / 255, 10);
    // The colour has no "both" in it: online only, target only and pruned by their shares.
    const px = maskRgba(h);
    const [o, t, p] = [hexToRgb(MASK_COLOURS.onlineOnly), hexToRgb(MASK_COLOURS.targetOnly), hexToRgb(MASK_COLOURS.pruned)];
    for (let c = 0; c < 3; c++) expect(Math.abs(px[c] - (64 * o[c] + 128 * t[c] + 63 * p[c]) / 255)).toBeLessThanOrEqual(1);
  });

  it('online kept where target is not (per-branch scores) is its own category', () => {
    const f = cellFractions(255, 0);
    expect(f).toEqual({ both: 0, targetOnly: 0, onlineOnly: 1, pruned: 0 });
  });
});

describe('gate overlay', () => {
  it('open locations keep 75% of the pixel plus 25% yellow; closed ones 22% of it', () => {
    // 2×2 view, all pixels (100, 200, 40); gate map 1×2: left open, right closed.
    const view = new Uint8Array(16);
    for (let i = 0; i < 4; i++) view.set([100, 200, 40, 255], i * 4);
    const out = gateOverlayRgba(view, 2, [1, 0], 1, 2);
    const [yr, yg, yb] = hexToRgb(OKABE_ITO.yellow); // 240, 228, 66
    const open = [100 * 0.75 + yr * 0.25, 200 * 0.75 + yg * 0.25, 40 * 0.75 + yb * 0.25]; // 135, 207, 46.5
    const closed = [22, 44, 8.8];
    // Bytes round to nearest (Uint8ClampedArray: ties to even), so within half a unit.
    const near = (got: Uint8ClampedArray, want: number[]) => want.forEach((v, c) => expect(Math.abs(got[c] - v)).toBeLessThanOrEqual(0.5));
    for (const y of [0, 1]) {
      near(out.slice(y * 2 * 4), open);
      near(out.slice((y * 2 + 1) * 4), closed);
    }
  });
});

describe('rasterize', () => {
  it('nearest cell per pixel, separators every band when bands are ≥ 6 px', () => {
    const cells = new Uint8ClampedArray([1, 1, 1, 255, 2, 2, 2, 255]); // 2 rows × 1 col
    const out = rasterize(cells, 2, 1, 1, 4);
    expect([...out].filter((_, i) => i % 4 === 0)).toEqual([1, 1, 2, 2]);
    const banded = rasterize(cells, 2, 1, 1, 12, { rowBand: 1 });
    // Band boundary at row 1 → pixel rows round(1·12/2) − 1 = 5 and 6 are white.
    expect([...banded].filter((_, i) => i % 4 === 0)).toEqual([1, 1, 1, 1, 1, 255, 255, 2, 2, 2, 2, 2]);
  });
});

describe('large grids: every row drawn, no separator over data', () => {
  it('at one pixel a row no separator is drawn (it would paint over whole rows)', () => {
    // 64 rows × 1 col, row r has red = r; 64 px tall, band every 32 rows (32 px ≥ 6).
    const rows = 64;
    const cells = new Uint8ClampedArray(rows * 4);
    for (let r = 0; r < rows; r++) cells.set([r, 0, 0, 255], r * 4);
    const out = rasterize(cells, rows, 1, 1, rows, { rowBand: 32 });
    expect([...out].filter((_, i) => i % 4 === 0)).toEqual(Array.from({ length: rows }, (_, r) => r));
    expect(bandLinesDrawn(32, rows, rows)).toBe(false);
    expect(bandLinesDrawn(32, rows, 3 * rows)).toBe(true);
  });

  it('a grid with more rows than the panel height gets a pixel a row', () => {
    // 3×3×64 outputs = 576 rows (widths [16, 32, 64]): nearest sampling into 340 px skipped 236.
    expect(gridSize(576, 16, 400).h).toBe(576);
    expect(gridSize(144, 16, 400).h).toBe(288); // 2 px a row, within 340
  });
});

describe('timeline decimation', () => {
  it('drops the entry leaving the smallest gap for its age: 1..5 with max 4 → 1, 3, 4, 5', () => {
    // Full at 5 entries, newest 5: costs (gap ÷ age) of 2, 3: (3−1)/3 = 0.67, (4−2)/2 = 1 (4 is
    // in the newest half, ⌊4/2⌋ = 2 entries). 2 goes.
    let list: { step: number }[] = [];
    for (let s = 1; s <= 5; s++) list = pushDecimated(list, { step: s }, 4);
    expect(list.map((e) => e.step)).toEqual([1, 3, 4, 5]);
  });

  it('stays bounded over a long run, keeps the first and the newest steps dense', () => {
    let list: { step: number }[] = [];
    for (let s = 1; s <= 1000; s++) list = pushDecimated(list, { step: s }, 10);
    expect(list.length).toBeLessThanOrEqual(10);
    expect(list[0].step).toBe(1);
    expect(list.at(-1)!.step).toBe(1000);
    expect(list.slice(-3).map((e) => e.step)).toEqual([998, 999, 1000]);
    expect(list.map((e) => e.step)).toEqual([...list.map((e) => e.step)].sort((a, b) => a - b));
  });

  it('covers the whole run: a snapshot every 10 steps to step 2800, 48 kept, each fifth of the run keeps some', () => {
    // Before: halving the older half at every overflow kept step 0 and nothing before step 2080.
    let list: { step: number }[] = [];
    for (let s = 0; s <= 2800; s += 10) list = pushDecimated(list, { step: s }, 48);
    const steps = list.map((e) => e.step);
    expect(steps.length).toBeLessThanOrEqual(48);
    expect(steps[0]).toBe(0);
    for (let k = 0; k < 5; k++) expect(steps.some((s) => s > k * 560 && s <= (k + 1) * 560), `a step in (${k * 560}, ${(k + 1) * 560}]`).toBe(true);
    // Older is sparser: the gaps never shrink going back in time (by more than one snapshot's 10 steps).
    const gaps = steps.slice(1).map((s, i) => s - steps[i]);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i - 1]).toBeGreaterThanOrEqual(gaps[i] - 10);
    // The newest half stays whole.
    expect(steps.slice(-24)).toEqual(Array.from({ length: 24 }, (_, i) => 2800 - 10 * (23 - i)));
  });

  it('a reset (smaller step) drops the later entries', () => {
    const list = pushDecimated([{ step: 5 }, { step: 9 }], { step: 0 }, 10);
    expect(list.map((e) => e.step)).toEqual([0]);
  });

  it('a batch over the bound is thinned until it fits: 1..9 with max 4 → 1, 7, 8, 9', () => {
    // Newest 9; 8 and 9 are the newest half, 1 the first. Costs (gap ÷ age), smallest first,
    // ties to the older: 2 ((3−1)/7) → 4 ((5−3)/5 = .4) → 3 ((5−1)/6, tie with 6's (7−5)/3)
    // → 6 ((7−5)/3) → 5 ((7−1)/4 = 1.5, tie with 7's (8−5)/2).
    const id = (x: number) => x;
    expect(thinByAge([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, id)).toEqual([1, 7, 8, 9]);
    expect(() => thinByAge([1], 1, id)).toThrow(/max/);
  });

  it('entries marked kept are never dropped, and neither is the newest', () => {
    const id = (x: number) => x;
    const out = thinByAge(Array.from({ length: 100 }, (_, i) => i), 10, id, (x) => x % 10 === 5);
    expect(out.filter((x) => x % 10 === 5)).toEqual([5, 15, 25, 35, 45, 55, 65, 75, 85, 95]);
    expect(out[0]).toBe(0);
    expect(out.at(-1)).toBe(99);
    // Only the kept ones, the first and the newest are left: more than max, nothing else to drop.
    expect(out).toHaveLength(12);
  });
});

// Found by a panels hunt: thinning to 200 points dropped the row of a mask update, so the
// density line moved up to a few steps after the update its plan and churn bar showed.
describe('thinned layer lines', () => {
  const rows = Array.from({ length: 1500 }, (_, i) => {
    const step = i + 1;
    const online = step <= 281 ? 1 : 0.8;
    return {
      step,
      density: { c1: { online, target: 1 } },
      gateTarget: step <= 700 ? 1 : 0.5,
      ...(step === 282 ? { update: { step: 281 } } : {}),
    } as unknown as ProgressRow;
  });

  it('keep the row where a mask update shows and where the gate target changes, beside the even stride', () => {
    const out = layerSeries(rows, 'density', 200);
    const steps = out.map((p) => p.step);
    expect(steps).toContain(282); // the first row after the update at 281
    expect(steps).toContain(701); // the first row at the new target
    // The line moves at 282: the point before it is still at 1.
    const at = steps.indexOf(282);
    expect([out[at - 1][key('c1', 'online')], out[at][key('c1', 'online')]]).toEqual([1, 0.8]);
    expect(out.length).toBeLessThanOrEqual(202);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(1500);
  });

  it('without a keep rule, the even stride alone (200 points, the last kept)', () => {
    const d = downsample(rows, 200);
    expect(d).toHaveLength(200);
    expect(d.at(-1)!.step).toBe(1500);
  });
});

describe('cumulative FLOPs', () => {
  it('running totals and saved share', () => {
    const rows = [
      { step: 1, flops: { dense: 100, effective: 100 } },
      { step: 2, flops: { dense: 100, effective: 60 } },
      { step: 3, flops: { dense: 100, effective: 40 } },
    ] as ProgressRow[];
    const c = cumulativeFlops(rows);
    expect(c.map((p) => [p.dense, p.effective])).toEqual([[100, 100], [200, 160], [300, 200]]);
    expect(c[2].saving).toBeCloseTo(1 / 3, 12); // 1 − 200/300
  });

  it('a logged row stands for the steps since the one before (a history logged every 5 steps)', () => {
    const rows = [
      { step: 1, flops: { dense: 100, effective: 100 } },
      { step: 5, flops: { dense: 100, effective: 50 } },
      { step: 10, flops: { dense: 100, effective: 20 } },
    ] as ProgressRow[];
    const c = cumulativeFlops(rows);
    // Steps 1; 2–5 at 50; 6–10 at 20: effective 100 + 4·50 + 5·20 = 400 of 1000.
    expect(c.map((p) => [p.dense, p.effective])).toEqual([[100, 100], [500, 300], [1000, 400]]);
    expect(c[2].saving).toBeCloseTo(0.6, 12);
  });

  // Found by a FLOPs hunt: a regrowth gradient pass (on its update step only) was counted for
  // every step a logged row stands for.
  it('an extra gradient pass in a row counts once, not once per step the row stands for', () => {
    const rows = [
      { step: 5, flops: { dense: 100, effective: 50 } },
      { step: 10, flops: { dense: 100, effective: 50 + 30, pass: 30 } },
    ] as ProgressRow[];
    const c = cumulativeFlops(rows);
    // Steps 1–5 at 50; 6–9 at 50; step 10 at 50 + its pass 30: 500 + 250 + 30 = 530 of 1000.
    expect(c.map((p) => [p.dense, p.effective])).toEqual([[500, 250], [1000, 530]]);
  });
});

describe('schedule preview', () => {
  it('syncp-unstructured over 20 steps: cubic from 1 to 0.2 between steps 2 and 14, target +0.3', () => {
    // start = round(0.1·20) = 2, end = round(0.7·20) = 14, every = max(1, round(0.05·20)) = 1.
    const s = schedulePoints(buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 20 } }))!;
    expect(s.kind).toBe('density');
    expect(s.window).toEqual({ start: 2, end: 14, every: 1 });
    const at = (t: number) => s.points.find((p) => p.step === t)!;
    expect(at(0)).toEqual({ step: 0, online: 1, target: 1 });
    expect(at(8).online).toBeCloseTo(0.2 + 0.8 * 0.5 ** 3, 12); // u = 6/12 = 0.5 → 0.3
    expect(at(8).target).toBeCloseTo(0.6, 12);
    expect(at(14)).toEqual({ step: 14, online: 0.2, target: 0.5 });
    expect(at(20).online).toBe(0.2);
  });

  it('on the completed-steps axis, an update shows one step after its index, as the SyncCP panel’s rows do', () => {
    const s = schedulePoints(buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 20 } }))!;
    const rows = asCompletedSteps(s.points, 20);
    const at = (x: number) => [...rows].reverse().find((r) => r.step <= x)!; // a step function, held until the next point
    expect(rows[0]).toEqual({ step: 0, online: 1, target: 1 });
    // The first pruning update runs at step index 2: rows 0–2 are dense, row 3 is the first pruned one.
    expect(at(2).online).toBe(1);
    expect(at(3).online).toBe(s.points.find((p) => p.step === 2)!.online);
    expect(at(9).online).toBeCloseTo(0.3, 12); // the plan of index 8
    expect(at(15)).toEqual({ step: 15, online: 0.2, target: 0.5 });
    expect(rows.every((r) => r.step <= 20)).toBe(true);
    // The line reaches the last step: a point there, not only a nearest earlier one.
    expect(rows.at(-1)).toEqual({ step: 20, online: 0.2, target: 0.5 });
  });

  it('syncp-2of4: the fraction of N:M groups rises to 1, target lags by the gap; planned density 1 − p/2', () => {
    const config = buildConfig({ preset: 'syncp-2of4', tiny: true, overrides: { steps: 20 } });
    const s = schedulePoints(config)!;
    expect(s.kind).toBe('nmFraction');
    const end = s.points.find((p) => p.step === 14)!;
    expect(end.online).toBe(1);
    expect(end.target).toBeCloseTo(0.7, 12);
    const rows = withPlanned(config, [{ step: 14, x: 1 }]);
    const r14 = rows.find((r) => r.step === 14)!;
    expect(r14.plannedOnline).toBeCloseTo(0.5, 12); // 1 − 1·(4−2)/4
    expect(r14.plannedTarget).toBeCloseTo(0.65, 12); // 1 − 0.7·2/4
    expect(r14.x).toBe(1);
  });

  it('on the charts\' completed-step axis (SyncCP lines): the plan of step s at s + 1, nothing past the last step, the last step reached', () => {
    const config = buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 20 } });
    const raw = schedulePoints(config)!.points;
    const rows = withPlanned(config, [], true);
    expect(rows.every((r) => r.step <= 20)).toBe(true);
    expect(rows.at(-1)!.step).toBe(20);
    // Each planned update (step s ≥ 1 before the end) sits at s + 1 with s's value.
    for (const p of raw.filter((q) => q.step > 0 && q.step < 20)) expect(rows.find((r) => r.step === p.step + 1)!.plannedOnline).toBe(p.online);
  });

  it('cdg: gate density only; dense presets: nothing', () => {
    const s = schedulePoints(buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 20 } }))!;
    expect(s.kind).toBe('gate');
    expect(s.points.at(-1)!.online).toBe(0.4);
    expect(s.points[0].target).toBeUndefined();
    expect(schedulePoints(buildConfig({ preset: 'simclr-dense' }))).toBeUndefined();
  });
});

describe('palette', () => {
  it('viridis ends', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(NaN)).toEqual([68, 1, 84]);
  });
});
