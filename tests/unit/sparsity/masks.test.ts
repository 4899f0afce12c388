// Unstructured, global and channel masks: exact counts under ties, density 0 and 1,
// nesting as density falls, agreement with plain-JS sorts, async = sync, no leaks.

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  channelMask,
  channelMaskAsync,
  globalUnstructuredMasks,
  globalUnstructuredMasksAsync,
  nestedFraction,
  selectTopK,
  unstructuredMask,
  unstructuredMaskAsync,
} from '../../../src/engine/sparsity/masks';
import { noLeak, ones, refTopK, subset, unitArb } from './helpers';

const RUNS = { numRuns: 30 };

function maskOf(scores: number[], shape: number[], density: number): number[] {
  return noLeak(() => {
    const s = tf.tensor(scores, shape);
    const m = unstructuredMask(s, density);
    expect(m.shape).toEqual(shape);
    expect(m.dtype).toBe('float32');
    const out = Array.from(m.dataSync());
    s.dispose();
    m.dispose();
    return out;
  }, () => undefined);
}

describe('unstructuredMask', () => {
  it('keeps the largest scores, ties to the lower flat index (hand example)', () => {
    const s = [0.1, 0.5, 0.5, 0.2, 0.9];
    expect(maskOf(s, [5], 0.6)).toEqual([0, 1, 1, 0, 1]); // k = 3
    expect(maskOf(s, [5], 0.4)).toEqual([0, 1, 0, 0, 1]); // k = 2: index 1 beats index 2
    expect(maskOf(s, [5], 0.2)).toEqual([0, 0, 0, 0, 1]);
  });

  it('all-equal scores: exactly round(d·n) ones, the lowest flat indices', () => {
    const s = new Array(12).fill(0.3);
    expect(maskOf(s, [3, 4], 0.5)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(maskOf(s, [3, 4], 0.25)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // 0.3·12 = 3.6 → 4 ones
    expect(ones(maskOf(s, [2, 2, 3], 0.3))).toBe(4);
  });

  it('density 0 gives all zeros and density 1 all ones', () => {
    const s = [3, -1, 2, 2, 0, 7];
    expect(maskOf(s, [2, 3], 0)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(maskOf(s, [2, 3], 1)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('NaN scores rank below every number', () => {
    expect(maskOf([NaN, -5, NaN, -7], [4], 0.5)).toEqual([0, 1, 0, 1]);
    expect(maskOf([NaN, -5, NaN, -7], [4], 0.75)).toEqual([1, 1, 0, 1]);
  });

  it('matches a full sort (value desc, index asc) on random tensors with many ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
        unitArb,
        fc.integer({ min: 0, max: 1000 }),
        (shape, density, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const scores = Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 5) - 2); // values in -2..2
          const got = maskOf(scores, shape, density);
          const k = Math.round(density * n);
          const want = refTopK(scores, k);
          expect(ones(got)).toBe(k);
          got.forEach((v, i) => expect(v).toBe(want.has(i) ? 1 : 0));
        },
      ),
      RUNS,
    );
  });

  it('is nested as density falls', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 40 }),
        unitArb,
        unitArb,
        (scores, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(subset(maskOf(scores, [scores.length], lo), maskOf(scores, [scores.length], hi))).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('async variant equals the sync one and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const s = tf.tensor2d([
      [1, 1, 0],
      [2, 1, 5],
    ]);
    const a = await unstructuredMaskAsync(s, 0.5);
    expect(Array.from(a.dataSync())).toEqual([1, 0, 0, 1, 0, 1]);
    tf.dispose([s, a]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects impossible densities with the argument and value in the message', () => {
    const s = tf.tensor1d([1, 2]);
    expect(() => unstructuredMask(s, 1.5)).toThrow('unstructuredMask: density must be a number in [0, 1] (got density=1.5)');
    expect(() => unstructuredMask(s, -0.1)).toThrow(/density=-0\.1/);
    expect(() => unstructuredMask(s, NaN)).toThrow(/density=NaN/);
    s.dispose();
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

describe('globalUnstructuredMasks', () => {
  it('uses one threshold over all tensors, ties by (tensor, flat index)', () => {
    noLeak(() => {
      const a = tf.tensor1d([1, 5, 2]);
      const b = tf.tensor2d([
        [5, 0],
        [2, 9],
      ]);
      // 7 values, density 4/7 → 4 kept: 9, 5 (a[1]), 5 (b[0]), then the 2s: a[2] wins over b[2]
      const [ma, mb] = globalUnstructuredMasks([a, b], 4 / 7);
      expect(ma.shape).toEqual([3]);
      expect(mb.shape).toEqual([2, 2]);
      expect(Array.from(ma.dataSync())).toEqual([0, 1, 1]);
      expect(Array.from(mb.dataSync())).toEqual([1, 0, 0, 1]);
      tf.dispose([a, b, ma, mb]);
    }, () => undefined);
  });

  it('matches a sort of the concatenation and gives the exact total count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        unitArb,
        (lists, density) => {
          const before = tf.memory().numTensors;
          const ts = lists.map((l) => tf.tensor1d(l));
          const ms = globalUnstructuredMasks(ts, density);
          const all = lists.flat();
          const k = Math.round(density * all.length);
          const want = refTopK(all, k);
          const got = ms.flatMap((m) => Array.from(m.dataSync()));
          expect(ones(got)).toBe(k);
          got.forEach((v, i) => expect(v).toBe(want.has(i) ? 1 : 0));
          tf.dispose([...ts, ...ms]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ),
      RUNS,
    );
  });

  it('async variant agrees; empty list gives empty list', async () => {
    const a = tf.tensor1d([3, 1]);
    const b = tf.tensor1d([2, 4]);
    const [ma, mb] = await globalUnstructuredMasksAsync([a, b], 0.5);
    expect([...ma.dataSync(), ...mb.dataSync()]).toEqual([1, 0, 0, 1]);
    expect(globalUnstructuredMasks([], 0.3)).toEqual([]);
    tf.dispose([a, b, ma, mb]);
    expect(() => globalUnstructuredMasks([], 2)).toThrow(/density=2/);
  });
});

/** Per-output-channel L1 / L2 norms of a kernel given as nested arrays, in plain JS. */
function refChannelOrder(values: number[], shape: number[], norm: 'l1' | 'l2'): number[] {
  const cOut = shape[3];
  const score = new Array(cOut).fill(0);
  values.forEach((v, i) => {
    score[i % cOut] += norm === 'l1' ? Math.abs(v) : v * v;
  });
  const s = norm === 'l2' ? score.map(Math.sqrt) : score;
  return s.map((_, o) => o).sort((a, b) => (s[b] !== s[a] ? s[b] - s[a] : a - b));
}

describe('channelMask', () => {
  it('keeps the output channels with the larger L1 / L2 norm (hand example)', () => {
    noLeak(() => {
      // [1, 1, 2, 3]: channel o has entries (c=0, c=1)
      // o=0: (3, 0) L1 3 L2 3; o=1: (-2, 2) L1 4 L2 2.83; o=2: (1, 1) L1 2 L2 1.41
      const k = tf.tensor4d([3, -2, 1, 0, 2, 1], [1, 1, 2, 3]);
      const l1 = channelMask(k, 1 / 3);
      const l2 = channelMask(k, 1 / 3, 'l2');
      expect(Array.from(l1.dataSync())).toEqual([0, 1, 0, 0, 1, 0]);
      expect(Array.from(l2.dataSync())).toEqual([1, 0, 0, 1, 0, 0]);
      expect(l1.shape).toEqual([1, 1, 2, 3]);
      tf.dispose([k, l1, l2]);
    }, () => undefined);
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
          const before = tf.memory().numTensors;
          const k = tf.tensor4d(values, shape);
          const mask = channelMask(k, density, norm);
          const got = Array.from(mask.dataSync());
          tf.dispose([k, mask]);
          expect(tf.memory().numTensors).toBe(before);
          const cOut = shape[3];
          const keepN = Math.round(density * cOut);
          const kept = new Set(refChannelOrder(values, shape, norm).slice(0, keepN));
          got.forEach((v, i) => expect(v).toBe(kept.has(i % cOut) ? 1 : 0));
        },
      ),
      RUNS,
    );
  });

  it('async variant agrees; bad arguments throw', async () => {
    const k = tf.tensor4d([1, 5, 2, 0], [1, 1, 1, 4]);
    const m = await channelMaskAsync(k, 0.5);
    expect(Array.from(m.dataSync())).toEqual([0, 1, 1, 0]);
    expect(() => channelMask(k, 2)).toThrow('channelMask: density must be a number in [0, 1] (got density=2)');
    expect(() => channelMask(k, 0.5, 'l3' as 'l1')).toThrow(/norm=l3/);
    const k2 = tf.tensor2d([1, 2], [1, 2]);
    expect(() => channelMask(k2 as unknown as tf.Tensor4D, 0.5)).toThrow(/rank 4/);
    tf.dispose([k, m, k2]);
  });
});

describe('nestedFraction', () => {
  it('measures the share of the sparser mask inside the denser one', () => {
    const a = tf.tensor1d([1, 1, 0, 1]);
    const b = tf.tensor1d([1, 0, 1, 1]);
    const z = tf.tensor1d([0, 0, 0, 0]);
    expect(nestedFraction(a, b)).toBeCloseTo(2 / 3, 12);
    expect(nestedFraction(z, b)).toBe(1);
    const c = tf.tensor1d([1, 1]);
    expect(() => nestedFraction(a, c)).toThrow(/shapes differ/);
    tf.dispose([a, b, z, c]);
  });
});
