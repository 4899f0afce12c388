// Reference runs (pinned or imported) as the comparison charts draw them: per-row means
// and ratios by hand, the cumulative FLOPs saving over all rows (not only the kept ones),
// and the cap on how many are kept.
import { beforeEach, describe, expect, it } from 'vitest';
import { addReference, historyPoint, MAX_REFERENCES, pinnedPoints, referencePoints, removeReference, useMetrics } from '../../../src/store/metrics';

beforeEach(() => useMetrics.setState({ rows: [], references: [] }));

describe('reference runs', () => {
  it('a pinned run starts at the untrained kNN (step 0), as the live curve does: one kNN pass makes a line, not a lone point', () => {
    const rows = [{ step: 1, loss: 4 }, { step: 25, loss: 3, knn: 0.4 }, { step: 30, loss: 2.9 }];
    const pts = pinnedPoints(rows, 0.15);
    expect(pts.filter((p) => p.knn !== undefined).map((p) => [p.step, p.knn])).toEqual([[0, 0.15], [25, 0.4]]);
    expect(pts.map((p) => p.step)).toEqual([0, 1, 25, 30]);
    // Before the baselines came, or rows that carry step 0's kNN themselves: nothing added or doubled.
    expect(pinnedPoints(rows, undefined)).toEqual(referencePoints(rows));
    const withZero = [{ step: 0, knn: 0.2 }, ...rows];
    expect(pinnedPoints(withZero, 0.15).filter((p) => p.step === 0)).toEqual([{ step: 0, knn: 0.2 }]);
    // A step-0 row without kNN (a loss only) keeps its loss and gains the kNN.
    expect(pinnedPoints([{ step: 0, loss: 5 }, ...rows], 0.15)[0]).toMatchObject({ step: 0, loss: 5, knn: 0.15 });
    // Pinned before its first kNN pass: no kNN series (the untrained figure alone is not the run's).
    const early = [{ step: 1, loss: 4 }, { step: 2, loss: 3.9 }];
    expect(pinnedPoints(early, 0.15).some((p) => p.knn !== undefined)).toBe(false);
  });

  it('a row becomes its loss, kNN, mean online density, mean gate density over both branches, and FLOPs ratio', () => {
    const p = historyPoint({
      step: 7,
      loss: 2.5,
      knn: 0.3,
      flops: { dense: 200, effective: 50 },
      density: { a: { online: 0.2, target: 0.5 }, b: { online: 0.4, target: 0.7 } },
      gateDensity: { a: { online: 0.3, target: 0.5 } },
    });
    expect(p.step).toBe(7);
    expect(p.loss).toBe(2.5);
    expect(p.knn).toBe(0.3);
    expect(p.flopsRatio).toBe(0.25);
    expect(p.density).toBeCloseTo(0.3, 12); // (0.2 + 0.4) / 2
    expect(p.gate).toBeCloseTo(0.4, 12); // (0.3 + 0.5) / 2
  });

  it('the FLOPs saving is cumulative over every row, also those thinned out', () => {
    // 1000 rows: dense 10 each; effective 10 for the first 500, 5 after → saving at the end 1 − 7500/10000 = 0.25.
    const rows = Array.from({ length: 1000 }, (_, i) => ({ step: i + 1, loss: 1, flops: { dense: 10, effective: i < 500 ? 10 : 5 } }));
    const pts = referencePoints(rows);
    expect(pts.length).toBeLessThanOrEqual(301);
    expect(pts.at(-1)!.step).toBe(1000);
    expect(pts.at(-1)!.saving).toBeCloseTo(0.25, 12);
    expect(pts[0].saving).toBe(0);
    // kNN rows are always kept.
    const withKnn = referencePoints(rows.map((r) => (r.step === 333 ? { ...r, knn: 0.5 } : r)));
    expect(withKnn.some((p) => p.step === 333 && p.knn === 0.5)).toBe(true);
  });

  it('a row stands for the steps since the row before it (thinned or logged every few steps), as the live line weighs them', () => {
    // Steps 1–10 logged one by one at full cost, then one row every 90 steps at a quarter:
    // dense 10 × 10 + 10 × 900 = 9100, effective 100 + 2.5 × 900 = 2350 → saving 1 − 2350/9100.
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => ({ step: i + 1, flops: { dense: 10, effective: 10 } })),
      ...Array.from({ length: 10 }, (_, i) => ({ step: 10 + 90 * (i + 1), flops: { dense: 10, effective: 2.5 } })),
    ];
    expect(referencePoints(rows).at(-1)!.saving).toBeCloseTo(1 - 2350 / 9100, 12);
    // The untrained network's row (step 0, no FLOPs) weighs nothing.
    expect(referencePoints([{ step: 0, knn: 0.2 }, ...rows]).at(-1)!.saving).toBeCloseTo(1 - 2350 / 9100, 12);
  });

  it('keeps at most MAX_REFERENCES, dropping the oldest pinned; an import replaces the previous import', () => {
    addReference('imported one', 'imported', []);
    for (let i = 0; i < MAX_REFERENCES + 1; i++) addReference(`pin ${i}`, 'pinned', []);
    const names = useMetrics.getState().references.map((r) => r.name);
    expect(names.length).toBe(MAX_REFERENCES);
    expect(names).toContain('imported one');
    expect(names).toContain(`pin ${MAX_REFERENCES}`);
    expect(names).not.toContain('pin 0');
    addReference('imported two', 'imported', []);
    expect(useMetrics.getState().references.filter((r) => r.kind === 'imported').map((r) => r.name)).toEqual(['imported two']);
    const id = useMetrics.getState().references[0].id;
    removeReference(id);
    expect(useMetrics.getState().references.some((r) => r.id === id)).toBe(false);
  });

  it('gives the runs shown together distinct colours, however many came and went before', () => {
    // The reported case: a pin, then imports that replace each other (ids 2, 3, 4, 5 …);
    // then random pins, imports and removals. REF_COLOURS has one colour a slot.
    for (const r of useMetrics.getState().references) removeReference(r.id);
    addReference('pin', 'pinned', []);
    for (let i = 0; i < 6; i++) addReference(`import ${i}`, 'imported', []);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
    for (let i = 0; i < 200; i++) {
      const refs = useMetrics.getState().references;
      const slots = refs.map((r) => r.slot);
      expect(new Set(slots).size).toBe(refs.length);
      expect(Math.max(-1, ...slots)).toBeLessThan(MAX_REFERENCES);
      const u = rand();
      if (u < 0.3 && refs.length) removeReference(refs[Math.floor(rand() * refs.length)].id);
      else addReference(`r${i}`, u < 0.65 ? 'pinned' : 'imported', []);
    }
  });
});
