// N:M masks (N kept of every M consecutive input channels, axis 2 of [kh, kw, C_in, C_out]):
// brute force over all C(m, n) patterns, tail dense, fractions of N:M groups chosen by
// lowest group score, isNM, nmGroupInfo, argument errors, no leaks.

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNM, nmGroupInfo, nmMask, nmMaskAsync } from '../../../src/engine/sparsity/masks';
import { combinations, flatIndex, fullGroups, noLeak } from './helpers';

const RUNS = { numRuns: 30 };

function runNM(values: number[], shape: number[], n: number, m: number, fraction?: number): number[] {
  return noLeak(() => {
    const s = tf.tensor4d(values, shape as [number, number, number, number]);
    const mask = nmMask(s, n, m, fraction);
    expect(mask.shape).toEqual(shape);
    const out = Array.from(mask.dataSync());
    tf.dispose([s, mask]);
    return out;
  }, () => undefined);
}

/** A random small kernel shape, an (n, m) pair and distinct values (no ties). */
const kernelCase = fc
  .tuple(
    fc.integer({ min: 1, max: 2 }),
    fc.integer({ min: 1, max: 2 }),
    fc.integer({ min: 1, max: 9 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 4 }),
  )
  .chain(([kh, kw, cIn, cOut, m]) =>
    fc.record({
      shape: fc.constant<number[]>([kh, kw, cIn, cOut]),
      m: fc.constant(m),
      n: fc.integer({ min: 0, max: m }),
      values: fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), {
        minLength: kh * kw * cIn * cOut,
        maxLength: kh * kw * cIn * cOut,
      }),
    }),
  );

describe('nmMask', () => {
  it('2:4 on one row keeps the two largest of each group (hand example)', () => {
    // [1, 1, 4, 1]: one group of C_in = 4
    expect(runNM([0.1, -3, 0.7, 0.5], [1, 1, 4, 1], 2, 4)).toEqual([0, 0, 1, 1]);
    // ties: all equal → the lower input-channel indices win
    expect(runNM([1, 1, 1, 1], [1, 1, 4, 1], 2, 4)).toEqual([1, 1, 0, 0]);
    // C_in = 6 with m = 4: tail of 2 channels stays dense
    expect(runNM([4, 3, 2, 1, -9, -9], [1, 1, 6, 1], 1, 4)).toEqual([1, 0, 0, 0, 1, 1]);
  });

  it('groups run along C_in for every (kh, kw, C_out) (hand example, C_out = 2)', () => {
    // flat order is c-major then o: [c0o0, c0o1, c1o0, c1o1]; 1:2 per output channel
    expect(runNM([5, 1, 2, 7], [1, 1, 2, 2], 1, 2)).toEqual([1, 0, 0, 1]);
  });

  it('every full group equals the best of all C(m, n) patterns; the tail is dense', () => {
    fc.assert(
      fc.property(kernelCase, ({ shape, m, n, values }) => {
        const got = runNM(values, shape, n, m);
        for (const g of fullGroups(shape, m)) {
          let best: number[] = [];
          let bestSum = -Infinity;
          for (const pat of combinations(m, n)) {
            const s = pat.reduce((acc, j) => acc + values[g[j]], 0);
            if (s > bestSum) {
              bestSum = s;
              best = pat;
            }
          }
          const want = new Set(best);
          g.forEach((idx, j) => expect(got[idx]).toBe(want.has(j) ? 1 : 0));
        }
        const [kh, kw, cIn, cOut] = shape;
        for (let a = 0; a < kh; a++)
          for (let b = 0; b < kw; b++)
            for (let c = Math.floor(cIn / m) * m; c < cIn; c++)
              for (let o = 0; o < cOut; o++) expect(got[flatIndex(shape, a, b, c, o)]).toBe(1);
      }),
      RUNS,
    );
  });

  it('with a fraction, exactly round(f·groups) groups are N:M, the lowest-score ones', () => {
    fc.assert(
      fc.property(
        kernelCase.filter((c) => c.n < c.m && Math.floor(c.shape[2] / c.m) * c.shape[0] * c.shape[1] * c.shape[3] >= 3),
        fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
        ({ shape, m, n, values }, fraction) => {
          const got = runNM(values, shape, n, m, fraction);
          const groups = fullGroups(shape, m);
          const k = Math.round(fraction * groups.length);
          const sums = groups.map((g) => g.reduce((acc, i) => acc + values[i], 0));
          const order = groups.map((_, i) => i).sort((a, b) => (sums[a] !== sums[b] ? sums[a] - sums[b] : a - b));
          const chosen = new Set(order.slice(0, k));
          groups.forEach((g, gi) => {
            const kept = g.reduce((acc, i) => acc + got[i], 0);
            expect(kept).toBe(chosen.has(gi) ? n : m);
          });
        },
      ),
      RUNS,
    );
  });

  it('with a fraction the LOWEST-score groups become N:M (hand example)', () => {
    // groups (C_out = 2): o=0 holds {1, 10} (sum 11), o=1 holds {2, 20} (sum 22)
    expect(runNM([1, 2, 10, 20], [1, 1, 2, 2], 1, 2, 0.5)).toEqual([0, 1, 1, 1]);
    // 3 groups with sums 5, 1, 3 (C_out = 3, C_in = 2): fraction 2/3 → groups o=1 and o=2
    expect(runNM([2, 0, 1, 3, 1, 2], [1, 1, 2, 3], 1, 2, 2 / 3)).toEqual([1, 0, 0, 1, 1, 1]);
  });

  it('fraction ties between equal group scores go to the lower group index', () => {
    // two groups (C_out = 2), equal sums; fraction 0.5 → only the first (o = 0) is 1:2
    expect(runNM([1, 1, 2, 2], [1, 1, 2, 2], 1, 2, 0.5)).toEqual([0, 1, 1, 1]);
    // fraction 0 → dense; fraction 1 → all groups N:M
    expect(runNM([1, 1, 2, 2], [1, 1, 2, 2], 1, 2, 0)).toEqual([1, 1, 1, 1]);
    expect(runNM([1, 1, 2, 2], [1, 1, 2, 2], 1, 2, 1)).toEqual([0, 0, 1, 1]);
  });

  it('async variant agrees', async () => {
    const s = tf.tensor4d([0.1, -3, 0.7, 0.5], [1, 1, 4, 1]);
    const m = await nmMaskAsync(s, 2, 4);
    expect(Array.from(m.dataSync())).toEqual([0, 0, 1, 1]);
    tf.dispose([s, m]);
  });

  it('rejects impossible arguments, naming them', () => {
    const s = tf.zeros([1, 1, 4, 1]) as tf.Tensor4D;
    expect(() => nmMask(s, 5, 4)).toThrow('nmMask: n must be ≤ m (got n=5, m=4)');
    expect(() => nmMask(s, -1, 4)).toThrow(/n=-1/);
    expect(() => nmMask(s, 1.5, 4)).toThrow(/n=1\.5/);
    expect(() => nmMask(s, 0, 0)).toThrow(/m=0/);
    expect(() => nmMask(s, 1, 2.5)).toThrow(/m=2\.5/);
    expect(() => nmMask(s, 2, 4, 1.2)).toThrow(/fraction=1\.2/);
    expect(() => nmMask(s, 2, 4, NaN)).toThrow(/fraction=NaN/);
    const s3 = tf.zeros([2, 4, 1]);
    expect(() => nmMask(s3 as unknown as tf.Tensor4D, 2, 4)).toThrow(/scores must have rank 4/);
    tf.dispose([s, s3]);
  });
});

describe('isNM', () => {
  it('accepts nmMask output and rejects a mask with one flipped entry in a full group', () => {
    fc.assert(
      fc.property(kernelCase, fc.nat(), ({ shape, m, n, values }, pick) => {
        const mask = runNM(values, shape, n, m);
        const t = tf.tensor4d(mask, shape as [number, number, number, number]);
        expect(isNM(t, n, m)).toBe(true);
        const groups = fullGroups(shape, m);
        if (groups.length > 0) {
          const flat = groups.flat();
          const i = flat[pick % flat.length];
          const flipped = mask.slice();
          flipped[i] = 1 - flipped[i];
          const f = tf.tensor4d(flipped, shape as [number, number, number, number]);
          expect(isNM(f, n, m)).toBe(false);
          f.dispose();
        }
        t.dispose();
      }),
      RUNS,
    );
  });

  it('ignores the tail', () => {
    // C_in = 3, m = 2: channel 2 is the tail; flipping it keeps the mask 1:2
    const t = tf.tensor4d([1, 0, 0], [1, 1, 3, 1]);
    expect(isNM(t, 1, 2)).toBe(true);
    const u = tf.tensor4d([1, 1, 0], [1, 1, 3, 1]);
    expect(isNM(u, 1, 2)).toBe(false);
    expect(() => isNM(t, 3, 2)).toThrow('isNM: n must be ≤ m (got n=3, m=2)');
    tf.dispose([t, u]);
  });
});

describe('nmGroupInfo', () => {
  it('reports full groups and the tail (hand counts)', () => {
    // [3, 3, 10, 8], m = 4: rows 3·3·8 = 72, 2 full groups a row, tail of 2 channels
    expect(nmGroupInfo([3, 3, 10, 8], 4)).toEqual({
      rows: 72,
      groupsPerRow: 2,
      numFullGroups: 144,
      tailSize: 2,
      tailElements: 144,
    });
    // stem conv with 3 input channels under 2:4: no full group, everything is tail
    expect(nmGroupInfo([3, 3, 3, 16], 4)).toEqual({ rows: 144, groupsPerRow: 0, numFullGroups: 0, tailSize: 3, tailElements: 432 });
    expect(() => nmGroupInfo([3, 3, 4], 4)).toThrow(/shape must have rank 4/);
    expect(() => nmGroupInfo([3, 3, 4, 2], 0)).toThrow(/m=0/);
  });
});
