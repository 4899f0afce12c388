// Unstructured, global and channel masks as production computes them (the maskers over
// the library's array cores): exact counts under ties, density 0 and 1, nesting as
// density falls, agreement with plain-JS sorts, channel norms on the device, no leaks.

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelMasker, channelScores } from '../../../src/engine/sparsity/maskers/channel';
import type { Shape4 } from '../../../src/engine/sparsity/maskers';
import { unstructuredMasker } from '../../../src/engine/sparsity/maskers/unstructured';
import { globalTopKArrays, selectTopK } from '../../../src/engine/sparsity/masks';
import { noLeak, ones, refKept, refTopK, subset, unitArb } from './helpers';

const RUNS = { numRuns: 30 };

/** The unstructured masker's online mask of one layer of `scores` at `density` (uniform budget). */
function maskOf(scores: number[], density: number): number[] {
  const masker = unstructuredMasker('uniform');
  const shapes: Shape4[] = [[1, 1, 1, scores.length]];
  const value = { online: density, target: density };
  const [m] = masker.masks({ shapes, scores: { online: [scores], target: [scores] }, shared: true, value, planned: masker.planned(shapes, value) });
  return Array.from(m.online);
}

describe('unstructured masker', () => {
  it('keeps the largest scores, ties to the lower flat index (hand example)', () => {
    const s = [0.1, 0.5, 0.5, 0.2, 0.9];
    expect(maskOf(s, 0.6)).toEqual([0, 1, 1, 0, 1]); // k = 3
    expect(maskOf(s, 0.4)).toEqual([0, 1, 0, 0, 1]); // k = 2: index 1 beats index 2
    expect(maskOf(s, 0.2)).toEqual([0, 0, 0, 0, 1]);
  });

  it('all-equal scores: exactly round(d·n) ones, the lowest flat indices', () => {
    const s = new Array(12).fill(0.3);
    expect(maskOf(s, 0.5)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(maskOf(s, 0.25)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ones(maskOf(s, 0.3))).toBe(4); // 0.3·12 = 3.6 → 4 ones
  });

  it('density 0 gives all zeros and density 1 all ones', () => {
    const s = [3, -1, 2, 2, 0, 7];
    expect(maskOf(s, 0)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(maskOf(s, 1)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('NaN scores rank below every number', () => {
    expect(maskOf([NaN, -5, NaN, -7], 0.5)).toEqual([0, 1, 0, 1]);
    expect(maskOf([NaN, -5, NaN, -7], 0.75)).toEqual([1, 1, 0, 1]);
  });

  it('matches a full sort (value desc, index asc) on random scores with many ties', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), unitArb, fc.integer({ min: 0, max: 1000 }), (n, density, seed) => {
        const scores = Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 5) - 2); // values in -2..2
        const got = maskOf(scores, density);
        const k = refKept(density, n);
        const want = refTopK(scores, k);
        expect(ones(got)).toBe(k);
        got.forEach((v, i) => expect(v).toBe(want.has(i) ? 1 : 0));
      }),
      RUNS,
    );
  });

  it('is nested as density falls', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 40 }), unitArb, unitArb, (scores, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(subset(maskOf(scores, lo), maskOf(scores, hi))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('selectTopK', () => {
  it('keeps k entries with ties to the lower index', () => {
    expect(Array.from(selectTopK([2, 2, 2, 1, 3], 3))).toEqual([1, 1, 0, 0, 1]);
    expect(Array.from(selectTopK([], 0))).toEqual([]);
    expect(() => selectTopK([1, 2], 3)).toThrow(/k=3/);
    expect(() => selectTopK([1, 2], 1.5)).toThrow(/k=1\.5/);
  });
});

describe('global ranking (globalTopKArrays, the global layer budget)', () => {
  it('uses one threshold over all layers, ties by (layer, flat index)', () => {
    // 7 values, density 4/7 → 4 kept: 9, 5 (a[1]), 5 (b[0]), then the 2s: a[2] wins over b[2]
    const [ma, mb] = globalTopKArrays([[1, 5, 2], [5, 0, 2, 9]], 4 / 7);
    expect(Array.from(ma)).toEqual([0, 1, 1]);
    expect(Array.from(mb)).toEqual([1, 0, 0, 1]);
  });

  it('matches a sort of the concatenation once each list keeps its own largest, and gives max(round(d·n), lists) in total', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 4 }), unitArb, (lists, density) => {
        const got = globalTopKArrays(lists, density).flatMap((m) => Array.from(m));
        const all = lists.flat();
        // The reference: each non-empty list's largest (ties to the first) first, by sorting;
        // the rest ranked over the concatenation without them.
        const first = new Set<number>();
        let off = 0;
        for (const l of lists) {
          if (density > 0 && l.length > 0) first.add(off + [...refTopK(l, 1)][0]);
          off += l.length;
        }
        const k = Math.max(Math.round(density * all.length), first.size);
        const restIdx = all.map((_, i) => i).filter((i) => !first.has(i));
        const rest = [...refTopK(restIdx.map((i) => all[i]), k - first.size)].map((r) => restIdx[r]);
        const want = new Set([...first, ...rest]);
        expect(ones(got)).toBe(k);
        got.forEach((v, i) => expect(v).toBe(want.has(i) ? 1 : 0));
      }),
      RUNS,
    );
  });

  it('keeps at least one weight in every layer at a density whose global cut-off would empty some', () => {
    // Three layers; the middle one's scores are all below the others': round(0.2·12) = 2 would take 9 and 8.
    const [a, b, c] = globalTopKArrays([[9, 8, 7, 6], [0.1, 0.3, 0.2, 0], [5, 4, 3, 2]], 0.2);
    expect([ones(a), ones(b), ones(c)]).toEqual([1, 1, 1]);
    expect(Array.from(b)).toEqual([0, 1, 0, 0]);
    // At 0.5 (6 kept): 9, 0.3 and 5 first, then 8, 7, 6 over 4: the middle layer's second-best waits.
    const [a2, b2, c2] = globalTopKArrays([[9, 8, 7, 6], [0.1, 0.3, 0.2, 0], [5, 4, 3, 2]], 0.5);
    expect([Array.from(a2), Array.from(b2), Array.from(c2)]).toEqual([[1, 1, 1, 1], [0, 1, 0, 0], [1, 0, 0, 0]]);
    // Density 0 keeps nothing anywhere.
    expect(globalTopKArrays([[1, 2], [3]], 0).flatMap((m) => Array.from(m))).toEqual([0, 0, 0]);
  });

  it('is what the unstructured masker does with a global budget; empty list; bad density', () => {
    const masker = unstructuredMasker('global');
    const a = [3, 1];
    const b = [2, 4];
    const shapes: Shape4[] = [[1, 1, 1, 2], [1, 1, 1, 2]];
    const value = { online: 0.5, target: 0.75 };
    const m = masker.masks({ shapes, scores: { online: [a, b], target: [a, b] }, shared: true, value, planned: masker.planned(shapes, value) });
    expect(m.flatMap((x) => [...x.online])).toEqual([1, 0, 0, 1]);
    expect(m.flatMap((x) => [...x.target])).toEqual([1, 0, 1, 1]);
    expect(globalTopKArrays([], 0.3)).toEqual([]);
    expect(() => globalTopKArrays([], 2)).toThrow('globalTopKArrays: density must be a number in [0, 1] (got density=2)');
    expect(() => globalTopKArrays([[1]], NaN)).toThrow(/density=NaN/);
  });
});

/** Per-output-channel L1 / L2 norms of a kernel in plain JS, channels in rank order. */
function refChannelOrder(values: number[], shape: number[], norm: 'l1' | 'l2'): number[] {
  const cOut = shape[3];
  const score = new Array(cOut).fill(0);
  values.forEach((v, i) => {
    score[i % cOut] += norm === 'l1' ? Math.abs(v) : v * v;
  });
  const s = norm === 'l2' ? score.map(Math.sqrt) : score;
  return s.map((_, o) => o).sort((a, b) => (s[b] !== s[a] ? s[b] - s[a] : a - b));
}

/** The channel masker's online mask of one kernel, scores reduced on the device as the plugin does. */
function channelMaskOf(values: number[], shape: Shape4, density: number, norm: 'l1' | 'l2'): number[] {
  return noLeak(() => {
    const k = tf.tensor4d(values, shape);
    const s = channelScores(k, norm);
    const per = Array.from(s.dataSync());
    tf.dispose([k, s]);
    const masker = channelMasker('uniform');
    const value = { online: density, target: density };
    return Array.from(masker.masks({ shapes: [shape], scores: { online: [per], target: [per] }, shared: true, value, planned: masker.planned([shape], value) })[0].online);
  }, () => undefined);
}

describe('channel masker', () => {
  it('keeps the output channels with the larger L1 / L2 norm (hand example)', () => {
    // [1, 1, 2, 3]: channel o has entries (c=0, c=1)
    // o=0: (3, 0) L1 3 L2 3; o=1: (-2, 2) L1 4 L2 2.83; o=2: (1, 1) L1 2 L2 1.41
    const k = [3, -2, 1, 0, 2, 1];
    expect(channelMaskOf(k, [1, 1, 2, 3], 1 / 3, 'l1')).toEqual([0, 1, 0, 0, 1, 0]);
    expect(channelMaskOf(k, [1, 1, 2, 3], 1 / 3, 'l2')).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('is constant over kh, kw, C_in and keeps round(d·C_out) channels ranked as a plain-JS sort', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 })),
        unitArb,
        fc.constantFrom<'l1' | 'l2'>('l1', 'l2'),
        fc.integer({ min: 0, max: 10000 }),
        (shape, density, norm, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          // small integers so float32 sums are exact and ties are frequent
          const values = Array.from({ length: n }, (_, i) => ((i * 31 + seed * 17) % 7) - 3);
          const got = channelMaskOf(values, shape, density, norm);
          const cOut = shape[3];
          const kept = new Set(refChannelOrder(values, shape, norm).slice(0, refKept(density, cOut)));
          got.forEach((v, i) => expect(v).toBe(kept.has(i % cOut) ? 1 : 0));
        },
      ),
      RUNS,
    );
  });

  it('a global budget falls back to uniform (norms of different layers are not comparable)', () => {
    const shapes: Shape4[] = [[1, 1, 1, 4], [3, 3, 2, 8]];
    expect(channelMasker('global').planned(shapes, { online: 0.5, target: 0.75 })).toEqual([
      { online: 0.5, target: 0.75 },
      { online: 0.5, target: 0.75 },
    ]);
  });
});
