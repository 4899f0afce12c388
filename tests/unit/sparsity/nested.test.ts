// Nested masks for SyncCP (scores: shared): sparser ⊆ denser for unstructured, channel
// and N:M with fractions, each equal to the standalone mask at its own level; errors
// when the sparser level is denser; no leaks.

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestedMasks, nestedMasksAsync, type NestedMaskSpec } from '../../../src/engine/sparsity/masks';
import { fullGroups, ones, refTopK, subset, unitArb } from './helpers';

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

function run(values: number[], shape: number[], spec: NestedMaskSpec): { sparser: number[]; denser: number[] } {
  const before = tf.memory().numTensors;
  const s = tf.tensor(values, shape);
  const { sparser, denser } = nestedMasks(s, spec);
  expect(sparser.shape).toEqual(shape);
  expect(denser.shape).toEqual(shape);
  const out = { sparser: Array.from(sparser.dataSync()), denser: Array.from(denser.dataSync()) };
  tf.dispose([s, sparser, denser]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
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
        const ws = refTopK(v, Math.round(lo * n));
        const wd = refTopK(v, Math.round(hi * n));
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
          expect(ones(mask.slice(0, cOut))).toBe(Math.round(d * cOut));
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

  it('async variant agrees with the sync one', async () => {
    const s = tf.tensor4d([3, 1, 2, 5, 4, 0, 7, 6], [1, 1, 4, 2]);
    const spec: NestedMaskSpec = { granularity: 'unstructured', sparserDensity: 0.25, denserDensity: 0.5 };
    const a = await nestedMasksAsync(s, spec);
    const b = nestedMasks(s, spec);
    expect(Array.from(a.sparser.dataSync())).toEqual(Array.from(b.sparser.dataSync()));
    expect(Array.from(a.denser.dataSync())).toEqual(Array.from(b.denser.dataSync()));
    expect(Array.from(a.sparser.dataSync())).toEqual([0, 0, 0, 0, 0, 0, 1, 1]); // 7 and 6
    const c = await nestedMasksAsync(s, { granularity: 'channel', sparserDensity: 0.5, denserDensity: 1 });
    expect(Array.from(c.sparser.dataSync())).toEqual([1, 0, 1, 0, 1, 0, 1, 0]); // L1: o0 = 16, o1 = 12
    tf.dispose([s, a.sparser, a.denser, b.sparser, b.denser, c.sparser, c.denser]);
  });

  it('throws when the sparser level is denser than the denser one', () => {
    const s = tf.zeros([1, 1, 4, 2]);
    expect(() => nestedMasks(s, { granularity: 'unstructured', sparserDensity: 0.6, denserDensity: 0.5 })).toThrow(
      'nestedMasks: sparserDensity must be ≤ denserDensity (got sparserDensity=0.6, denserDensity=0.5)',
    );
    expect(() => nestedMasks(s, { granularity: 'channel', sparserDensity: 1, denserDensity: 0.5 })).toThrow(/sparserDensity=1/);
    expect(() => nestedMasks(s, { granularity: 'nm', n: 2, m: 4, sparserFraction: 0.3, denserFraction: 0.7 })).toThrow(
      /sparserFraction must be ≥ denserFraction \(got sparserFraction=0.3, denserFraction=0.7\)/,
    );
    expect(() => nestedMasks(s, { granularity: 'nm', n: 5, m: 4, sparserFraction: 1, denserFraction: 0.7 })).toThrow(/n=5, m=4/);
    expect(() => nestedMasks(s, { granularity: 'unstructured', sparserDensity: -1, denserDensity: 0.5 })).toThrow(/sparserDensity=-1/);
    expect(() => nestedMasks(s, { granularity: 'blocks' } as unknown as NestedMaskSpec)).toThrow(/granularity=blocks/);
    s.dispose();
  });
});
