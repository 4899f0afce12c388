// N:M masks (N kept of every M consecutive input channels, axis 2 of [kh, kw, C_in, C_out]):
// the N:M masker against brute force over all C(m, n) patterns, tail dense, fractions of
// N:M groups chosen by lowest group score, the panel's N:M group fraction, the planned
// density with tails (hand counts), argument errors.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Shape4 } from '../../../src/engine/sparsity/maskers';
import { nmMasker } from '../../../src/engine/sparsity/maskers/nm';
import { nmKeepArrays } from '../../../src/engine/sparsity/masks';
import { nmDensity } from '../../../src/engine/sparsity/scheduleOf';
import { maskUpdateStats, nmGroupFraction } from '../../../src/engine/viz/maskStats';
import { updateSeries } from '../../../src/ui/transforms/series';
import { combinations, flatIndex, fullGroups } from './helpers';

const RUNS = { numRuns: 30 };

/** The N:M masker's online mask of one kernel with a fraction of N:M groups (default all). */
function runNM(values: number[], shape: number[], n: number, m: number, fraction = 1): number[] {
  const masker = nmMasker(n, m);
  const s4 = shape as Shape4;
  const value = { online: fraction, target: fraction };
  const [mask] = masker.masks({ shapes: [s4], scores: { online: [values], target: [values] }, shared: false, value, planned: masker.planned([s4], value) });
  expect(mask.online.length).toBe(values.length);
  return Array.from(mask.online);
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

describe('N:M masker', () => {
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

  it('rejects impossible arguments, naming them', () => {
    const s = [0, 0, 0, 0];
    const sh = [1, 1, 4, 1];
    expect(() => nmKeepArrays(s, sh, 5, 4, [1])).toThrow('nmKeepArrays: n must be ≤ m (got n=5, m=4)');
    expect(() => nmKeepArrays(s, sh, -1, 4, [1])).toThrow(/n=-1/);
    expect(() => nmKeepArrays(s, sh, 1.5, 4, [1])).toThrow(/n=1\.5/);
    expect(() => nmKeepArrays(s, sh, 0, 0, [1])).toThrow(/m=0/);
    expect(() => nmKeepArrays(s, sh, 1, 2.5, [1])).toThrow(/m=2\.5/);
    expect(() => nmKeepArrays(s, sh, 2, 4, [1.2])).toThrow(/fractions\[0\]=1\.2/);
    expect(() => nmKeepArrays(s, sh, 2, 4, [NaN])).toThrow(/=NaN/);
    expect(() => nmKeepArrays(s, [2, 4, 1], 2, 4, [1])).toThrow(/shape must have rank 4/);
    expect(() => nmKeepArrays([0, 0], sh, 2, 4, [1])).toThrow(/values must have 1·1·4·1 entries/);
  });
});

describe('nmGroupFraction (the panel\'s measured N:M share)', () => {
  it('is 1 on the masker\'s output and drops by one group when one entry of a full group flips', () => {
    fc.assert(
      fc.property(kernelCase, fc.nat(), ({ shape, m, n, values }, pick) => {
        const mask = Uint8Array.from(runNM(values, shape, n, m));
        const groups = fullGroups(shape, m);
        // N = M keeps every weight: a dense group, not an N:M one (as the pattern grid says).
        if (n === m) {
          expect(nmGroupFraction(mask, shape, n, m)).toBe(0);
          return;
        }
        expect(nmGroupFraction(mask, shape, n, m)).toBe(groups.length ? 1 : 0);
        if (groups.length > 0) {
          const flat = groups.flat();
          const i = flat[pick % flat.length];
          mask[i] = 1 - mask[i];
          expect(nmGroupFraction(mask, shape, n, m)).toBeCloseTo(1 - 1 / groups.length, 12);
        }
      }),
      RUNS,
    );
  });

  it('4:4 (every weight kept) is no N:M group, as the pattern grid counts it', () => {
    expect(nmGroupFraction(Uint8Array.from([1, 1, 1, 1]), [1, 1, 4, 1], 4, 4)).toBe(0);
    expect(nmGroupFraction(Uint8Array.from([1, 1, 0, 1]), [1, 1, 4, 1], 3, 4)).toBe(1);
  });

  it('ignores the tail', () => {
    // C_in = 3, m = 2: channel 2 is the tail; flipping it keeps the mask 1:2
    expect(nmGroupFraction(Uint8Array.from([1, 0, 0]), [1, 1, 3, 1], 1, 2)).toBe(1);
    expect(nmGroupFraction(Uint8Array.from([1, 0, 1]), [1, 1, 3, 1], 1, 2)).toBe(1);
    expect(nmGroupFraction(Uint8Array.from([1, 1, 0]), [1, 1, 3, 1], 1, 2)).toBe(0);
  });
});

describe('nmDensity (planned N:M density with dense tails)', () => {
  it('hand counts', () => {
    // [3, 3, 10, 8], 2:4: 72 rows × 2 full groups = 144 groups, each drops 2 of 720 weights → 1 − 288/720
    expect(nmDensity([3, 3, 10, 8], 2, 4, 1)).toBeCloseTo(0.6, 12);
    expect(nmDensity([3, 3, 10, 8], 2, 4, 0.5)).toBeCloseTo(0.8, 12);
    // stem conv with 3 input channels under 2:4: no full group, everything is tail
    expect(nmDensity([3, 3, 3, 16], 2, 4, 1)).toBe(1);
    // and the masker's planned densities are the same numbers
    expect(nmMasker(2, 4).planned([[3, 3, 10, 8], [3, 3, 3, 16]], { online: 1, target: 0.5 })).toEqual([
      { online: nmDensity([3, 3, 10, 8], 2, 4, 1), target: nmDensity([3, 3, 10, 8], 2, 4, 0.5) },
      { online: 1, target: 1 },
    ]);
  });
});

describe('a layer with no full N:M group (C_in < M)', () => {
  it('has no N:M share in its update, so the chart draws no 0% line for it; a layer with groups has one', () => {
    const small = [3, 3, 8, 8];
    const ones = () => new Uint8Array(3 * 3 * 8 * 8).fill(1);
    const none = maskUpdateStats({ online: ones(), target: ones() }, { online: ones(), target: ones() }, small, { n: 2, m: 16 });
    expect(none.nmFraction).toBeNull();
    const row = updateSeries([{ step: 4, layers: [{ name: 'a', planned: { online: 1, target: 1 }, ...none }] }] as never)[0];
    expect(Object.keys(row).filter((k) => k.startsWith('a'))).toEqual([]);
    // 8 input channels at 2:4: two full groups a row, all dense → share 0, a real 0.
    const some = maskUpdateStats({ online: ones(), target: ones() }, { online: ones(), target: ones() }, small, { n: 2, m: 4 });
    expect(some.nmFraction).toEqual({ online: 0, target: 0 });
  });
});
