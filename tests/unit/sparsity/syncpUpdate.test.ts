// SyncCP's mask update as a pure function (syncpUpdate.ts), against hand-computed toy
// layers — which weights each branch keeps at a density and gap, what enters the optimizer's
// update mask (BYOL: the online mask; SimCLR: the union), what regrowth swaps and zeroes —
// and a property over random scores: with shared scores the online mask is nested in the
// target mask and each keeps exactly round(d·n), with and without regrowth.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskerFor, type Shape4 } from '../../../src/engine/sparsity/maskers';
import { syncpUpdate, type SyncCPUpdateInput } from '../../../src/engine/sparsity/syncpUpdate';
import { refKept } from './helpers';

const uniform = maskerFor({ granularity: 'unstructured', layerBudget: 'uniform', n: 2, m: 4 });
const dense = (n: number) => new Uint8Array(n).fill(1);
const arr = (a: Uint8Array | null) => (a ? Array.from(a) : null);

//                 0    1    2    3    4    5    6    7
const scoresA = [0.9, 0.1, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6];
const scoresB = [0.4, 0.9, 0.1, 0.6];
const shapeA: Shape4 = [1, 1, 2, 4];
const shapeB: Shape4 = [1, 1, 2, 2];

function input(over: Partial<SyncCPUpdateInput>): SyncCPUpdateInput {
  return {
    masker: uniform,
    layers: [
      { shape: shapeA, online: dense(8), target: dense(8) },
      { shape: shapeB, online: dense(4), target: dense(4) },
    ],
    value: { online: 0.25, target: 0.75 },
    shared: true,
    scores: { online: [scoresA, scoresB], target: [scoresA, scoresB] },
    byol: true,
    nm: null,
    regrowth: null,
    ...over,
  };
}

describe('syncpUpdate', () => {
  it('keeps the largest scores at the online density and the denser target (2 layers, hand-computed)', () => {
    const [a, b] = syncpUpdate(input({}));
    // A: online keeps round(0.25·8) = 2 → 0.9 (0), 0.8 (5); target round(0.75·8) = 6 → all but 0.1 (1), 0.2 (6).
    expect(arr(a.online)).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    expect(arr(a.target)).toEqual([1, 0, 1, 1, 1, 1, 0, 1]);
    // B: online round(0.25·4) = 1 → 0.9 (1); target 3 → all but 0.1 (2).
    expect(arr(b.online)).toEqual([0, 1, 0, 0]);
    expect(arr(b.target)).toEqual([1, 1, 0, 1]);
    expect(a.planned).toEqual({ online: 0.25, target: 0.75 });
    // From dense masks: A's online flips 6, target 2; B's 3 and 1. Nested; IoU = |on| / |tg|.
    expect(a.stats).toEqual({ flips: { online: 6, target: 2 }, nested: 1, iou: 2 / 6, nmFraction: null });
    expect(b.stats).toEqual({ flips: { online: 3, target: 1 }, nested: 1, iou: 1 / 3, nmFraction: null });
    // BYOL: nothing enters the online mask (it only shrank); no regrowth, nothing zeroed.
    expect([a.entered, b.entered, a.zero, b.zero]).toEqual([null, null, null, null]);
  });

  it('SimCLR: the entries the union of both masks regains restart (their Adam moments)', () => {
    const before = syncpUpdate(input({}));
    const [a, b] = syncpUpdate(input({
      byol: false,
      layers: [
        { shape: shapeA, ...before[0] },
        { shape: shapeB, ...before[1] },
      ],
      value: { online: 0.5, target: 1 },
    }));
    // A: online 4 → 0.9 (0), 0.8 (5), 0.7 (3), 0.6 (7); target all. The union was the old target, which lacked 1 and 6.
    expect(arr(a.online)).toEqual([1, 0, 0, 1, 0, 1, 0, 1]);
    expect(arr(a.target)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(arr(a.entered)).toEqual([0, 1, 0, 0, 0, 0, 1, 0]);
    // B: online 2 → 0.9 (1), 0.6 (3); the old union [1, 1, 0, 1] lacked 2.
    expect(arr(b.online)).toEqual([0, 1, 0, 1]);
    expect(arr(b.entered)).toEqual([0, 0, 1, 0]);
    // The same masks in BYOL: the online mask gains 3 and 7 in A, 3 in B.
    const [ab, bb] = syncpUpdate(input({ layers: [{ shape: shapeA, ...before[0] }, { shape: shapeB, ...before[1] }], value: { online: 0.5, target: 1 } }));
    expect(arr(ab.entered)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    expect(arr(bb.entered)).toEqual([0, 0, 0, 1]);
  });

  it('regrowth: drops the smallest |W| kept, grows the largest |grad| pruned, re-nests the target and zeroes what restarts (hand-computed)', () => {
    const grads = [0, 0.5, 0.1, 0, 0.9, 0, 0.3, 0];
    const [a] = syncpUpdate(input({
      layers: [{ shape: shapeA, online: dense(8), target: dense(8) }],
      scores: { online: [scoresA], target: [scoresA] },
      value: { online: 0.5, target: 0.75 },
      regrowth: { rate: 0.5, weights: [scoresA], grads: [grads] },
    }));
    // Magnitude: online {0, 3, 5, 7}. Regrowth k = round(0.5·4) = 2: drop 0.6 (7), 0.7 (3);
    // grow the largest |grad| among {1, 2, 4, 6}: 0.9 (4), 0.5 (1).
    expect(arr(a.online)).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    // Target (6) re-nested around it: the online four plus the best of {2, 3, 6, 7}: 0.7 (3), 0.6 (7).
    expect(arr(a.target)).toEqual([1, 1, 0, 1, 1, 1, 0, 1]);
    // Zeroed: grown (1, 4) and those that left both masks (2, 6).
    expect(arr(a.zero)).toEqual([0, 1, 1, 0, 1, 0, 1, 0]);
    // BYOL: grown entries restart even though the online mask did not gain from the dense start.
    expect(arr(a.entered)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('without a stashed gradient regrowth swaps nothing (the magnitude masks stand)', () => {
    const r = syncpUpdate(input({ regrowth: { rate: 0.5, weights: [undefined, undefined], grads: [undefined, undefined] } }));
    const m = syncpUpdate(input({}));
    expect(r.map((l) => [arr(l.online), arr(l.target)])).toEqual(m.map((l) => [arr(l.online), arr(l.target)]));
  });

  it('shared scores: online ⊆ target and exactly round(d·n) kept per layer, with and without regrowth (random)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 24, maxLength: 24 }),
        fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 24, maxLength: 24 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (s, g, d, gap, regrow) => {
          const scores = [s.slice(0, 16), s.slice(16)];
          const shapes: Shape4[] = [[1, 1, 4, 4], [1, 1, 2, 4]];
          const value = { online: d, target: Math.min(1, d + gap) };
          const out = syncpUpdate(input({
            layers: shapes.map((shape, i) => ({ shape, online: dense(scores[i].length), target: dense(scores[i].length) })),
            scores: { online: scores, target: scores },
            value,
            regrowth: regrow ? { rate: 0.3, weights: scores, grads: [g.slice(0, 16), g.slice(16)] } : null,
          }));
          out.forEach((l, i) => {
            const n = scores[i].length;
            for (let j = 0; j < n; j++) expect(l.online[j] <= l.target[j]).toBe(true);
            expect(l.online.reduce((a, b) => a + b, 0)).toBe(refKept(value.online, n));
            expect(l.target.reduce((a, b) => a + b, 0)).toBe(refKept(Math.max(value.online, value.target), n));
            expect(l.stats.nested).toBe(1);
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
