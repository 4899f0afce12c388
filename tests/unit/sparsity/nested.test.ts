// Nested masks for SyncCP (scores: shared): each granularity's masker gives online
// (sparser) ⊆ target (denser) for unstructured, channel and N:M with fractions, each
// equal to the standalone mask at its own level; no leaks from the channel scores.

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskerFor, type Shape4 } from '../../../src/engine/sparsity/maskers';
import { channelScores } from '../../../src/engine/sparsity/maskers/channel';
import { fullGroups, ones, refKept, refTopK, subset, unitArb } from './helpers';

const RUNS = { numRuns: 30 };

const shape4 = fc.tuple(
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 2 }),
  fc.integer({ min: 1, max: 8 }),
  fc.integer({ min: 1, max: 4 }),
);
const unitPair = fc
  .tuple(unitArb, unitArb)
  .map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);

type NestedMaskSpec =
  | { granularity: 'unstructured'; sparserDensity: number; denserDensity: number }
  | { granularity: 'channel'; sparserDensity: number; denserDensity: number; norm?: 'l1' | 'l2' }
  | { granularity: 'nm'; n: number; m: number; sparserFraction: number; denserFraction: number };

/** Both masks of one kernel from shared scores, as the plugin computes them (channel scores reduced on the device). */
function run(values: number[], shape: number[], spec: NestedMaskSpec): { sparser: number[]; denser: number[] } {
  const before = tf.memory().numTensors;
  const s4 = shape as Shape4;
  const masker = maskerFor({ granularity: spec.granularity, layerBudget: 'uniform', n: spec.granularity === 'nm' ? spec.n : 2, m: spec.granularity === 'nm' ? spec.m : 4 });
  let scores: ArrayLike<number> = values;
  if (spec.granularity === 'channel') {
    const k = tf.tensor(values, shape);
    const c = channelScores(k, spec.norm ?? 'l1');
    scores = c.dataSync();
    tf.dispose([k, c]);
  }
  const value = spec.granularity === 'nm' ? { online: spec.sparserFraction, target: spec.denserFraction } : { online: spec.sparserDensity, target: spec.denserDensity };
  const [m] = masker.masks({ shapes: [s4], scores: { online: [scores], target: [scores] }, shared: true, value, planned: masker.planned([s4], value) });
  expect(tf.memory().numTensors).toBe(before);
  return { sparser: Array.from(m.online), denser: Array.from(m.target) };
}

function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 13 + seed * 7) % 5) - 2); // many ties
}

describe('nestedMasks', () => {
  it('unstructured: sparser ⊆ denser, each the top round(d·n) of one ranking', () => {
    fc.assert(
      fc.property(shape4, unitPair, fc.nat(1000), (shape, [lo, hi], seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const v = values(n, seed);
        const { sparser, denser } = run(v, shape, { granularity: 'unstructured', sparserDensity: lo, denserDensity: hi });
        expect(subset(sparser, denser)).toBe(true);
        const ws = refTopK(v, refKept(lo, n));
        const wd = refTopK(v, refKept(hi, n));
        sparser.forEach((x, i) => expect(x).toBe(ws.has(i) ? 1 : 0));
        denser.forEach((x, i) => expect(x).toBe(wd.has(i) ? 1 : 0));
      }),
      RUNS,
    );
  });

  it('channel: sparser ⊆ denser, constant over the other axes, right channel counts', () => {
    fc.assert(
      fc.property(shape4, unitPair, fc.nat(1000), fc.constantFrom<'l1' | 'l2'>('l1', 'l2'), (shape, [lo, hi], seed, norm) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const cOut = shape[3];
        const { sparser, denser } = run(values(n, seed), shape, {
          granularity: 'channel',
          sparserDensity: lo,
          denserDensity: hi,
          norm,
        });
        expect(subset(sparser, denser)).toBe(true);
        for (const [mask, d] of [
          [sparser, lo],
          [denser, hi],
        ] as const) {
          mask.forEach((x, i) => expect(x).toBe(mask[i % cOut]));
          expect(ones(mask.slice(0, cOut))).toBe(refKept(d, cOut));
        }
      }),
      RUNS,
    );
  });

  it('N:M: sparser ⊆ denser; round(f·groups) N:M groups in each; denser N:M groups ⊆ sparser ones', () => {
    fc.assert(
      fc.property(
        shape4,
        fc.integer({ min: 2, max: 4 }).chain((m) => fc.tuple(fc.constant(m), fc.integer({ min: 0, max: m - 1 }))),
        unitPair,
        fc.nat(1000),
        (shape, [m, n], [lo, hi], seed) => {
          const size = shape.reduce((a, b) => a * b, 1);
          const { sparser, denser } = run(values(size, seed), shape, {
            granularity: 'nm',
            n,
            m,
            sparserFraction: hi,
            denserFraction: lo,
          });
          expect(subset(sparser, denser)).toBe(true);
          const groups = fullGroups(shape, m);
          const nmS = groups.map((g) => g.reduce((a, i) => a + sparser[i], 0) === n);
          const nmD = groups.map((g) => g.reduce((a, i) => a + denser[i], 0) === n);
          expect(nmS.filter(Boolean).length).toBe(Math.round(hi * groups.length));
          expect(nmD.filter(Boolean).length).toBe(Math.round(lo * groups.length));
          nmD.forEach((isNm, gi) => {
            if (isNm) expect(nmS[gi]).toBe(true);
          });
        },
      ),
      RUNS,
    );
  });

  it('SyncCP 2:4 preset shape: online all groups 2:4, target 70% of groups (hand count)', () => {
    // [1, 1, 8, 5]: 2 groups a row × 5 rows = 10 groups; target makes round(0.7·10) = 7 of them 2:4
    const v = Array.from({ length: 40 }, (_, i) => (i * 37) % 41);
    const { sparser, denser } = run(v, [1, 1, 8, 5], { granularity: 'nm', n: 2, m: 4, sparserFraction: 1, denserFraction: 0.7 });
    expect(ones(sparser)).toBe(20); // 10 groups × 2
    expect(ones(denser)).toBe(7 * 2 + 3 * 4);
  });

  it('unstructured and channel: planned target never below planned online, even where ERK rounds', () => {
    const shapes: Shape4[] = [[3, 3, 8, 16], [3, 3, 16, 16], [1, 1, 8, 16]];
    for (const granularity of ['unstructured', 'channel'] as const)
      for (const layerBudget of ['uniform', 'erk'] as const) {
        const masker = maskerFor({ granularity, layerBudget, n: 2, m: 4 });
        for (let d = 0; d <= 1; d += 0.05) for (const p of masker.planned(shapes, { online: d, target: Math.min(1, d + 0.3) })) expect(p.target).toBeGreaterThanOrEqual(p.online);
      }
  });

  it('hand example: unstructured 0.25 / 0.5 and channel 0.5 / 1 of one kernel', () => {
    const v = [3, 1, 2, 5, 4, 0, 7, 6]; // [1, 1, 4, 2]
    expect(run(v, [1, 1, 4, 2], { granularity: 'unstructured', sparserDensity: 0.25, denserDensity: 0.5 }).sparser).toEqual([0, 0, 0, 0, 0, 0, 1, 1]); // 7 and 6
    const c = run(v, [1, 1, 4, 2], { granularity: 'channel', sparserDensity: 0.5, denserDensity: 1 });
    expect(c.sparser).toEqual([1, 0, 1, 0, 1, 0, 1, 0]); // L1: o0 = 16, o1 = 12
    expect(c.denser).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });
});
