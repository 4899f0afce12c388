// Layer density budgets: uniform, ERK (Σ d_l·n_l = D·Σ n_l, every d_l ≤ 1, unclamped
// ratios follow (Σ dims)/(Π dims), clamping by hand), global reported as uniform, errors.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erk, erkDensities, layerDensities, uniform, uniformDensities } from '../../../src/engine/sparsity/budget';

const RUNS = { numRuns: 30 };
const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const sum = (s: number[]): number => s.reduce((a, b) => a + b, 0);

describe('uniform and global', () => {
  it('every layer at the target', () => {
    expect(uniformDensities([[3, 3, 4, 8], [8, 10]], 0.3)).toEqual([0.3, 0.3]);
    expect(layerDensities('global', [[3, 3, 4, 8], [8, 10]], 0.3)).toEqual([0.3, 0.3]);
    expect(layerDensities('uniform', [], 0.3)).toEqual([]);
    expect(uniform([[2, 2]], 0.7)).toEqual([0.7]);
    expect(erk([[2, 2]], 0.7)).toEqual([0.7]); // a single layer gets the target itself
  });
});

describe('erkDensities', () => {
  it('clamps a small layer to 1 and gives the rest the remaining budget (hand count)', () => {
    // stem [3,3,3,16]: n = 432, raw = 25/432; big [3,3,64,64]: n = 36864, raw = 140/36864.
    // ε = 0.5·37296/(25 + 140) ≈ 113 → stem would get 6.5 > 1 → dense;
    // big gets (0.5·37296 − 432)/36864 = 18216/36864 = 0.494140625
    const d = erkDensities([[3, 3, 3, 16], [3, 3, 64, 64]], 0.5);
    expect(d[0]).toBe(1);
    expect(d[1]).toBeCloseTo(0.494140625, 12);
  });

  it('without clamping, densities are proportional to (Σ dims)/(Π dims) (hand count)', () => {
    // [4, 4] raw 8/16 = 0.5, n 16; [2, 8] raw 10/16 = 0.625, n 16; D = 0.2 → ε = 0.2·32/(8 + 10) = 0.35556
    const d = erkDensities([[4, 4], [2, 8]], 0.2);
    expect(d[0]).toBeCloseTo((0.5 * 6.4) / 18, 12);
    expect(d[1]).toBeCloseTo((0.625 * 6.4) / 18, 12);
  });

  it('Σ d_l·n_l = D·Σ n_l and 0 ≤ d_l ≤ 1 on random layer shapes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 })),
            fc.tuple(fc.integer({ min: 1, max: 128 }), fc.integer({ min: 1, max: 128 })),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
        (shapes, D) => {
          const ss = shapes.map((s) => [...s]);
          const d = erkDensities(ss, D);
          const N = sum(ss.map(numel));
          const kept = sum(d.map((x, l) => x * numel(ss[l])));
          expect(Math.abs(kept - D * N)).toBeLessThanOrEqual(1e-9 * N);
          for (const x of d) {
            expect(x).toBeGreaterThanOrEqual(0);
            expect(x).toBeLessThanOrEqual(1);
          }
          // unclamped layers keep the ERK ratio to each other
          const free = d.map((x, l) => [x, sum(ss[l]) / numel(ss[l])]).filter(([x]) => x < 1 && x > 0);
          for (let i = 1; i < free.length; i++) {
            expect(free[i][0] / free[0][0]).toBeCloseTo(free[i][1] / free[0][1], 9);
          }
        },
      ),
      RUNS,
    );
  });

  it('density 1 gives all dense, density 0 all empty', () => {
    expect(erkDensities([[3, 3, 8, 8], [8, 10]], 1)).toEqual([1, 1]);
    expect(erkDensities([[3, 3, 8, 8], [8, 10]], 0)).toEqual([0, 0]);
  });

  it('rejects impossible arguments', () => {
    expect(() => erkDensities([[3, 3, 8, 8]], 1.2)).toThrow('erkDensities: density must be a number in [0, 1] (got density=1.2)');
    expect(() => erkDensities([[3, 0, 8, 8]], 0.5)).toThrow(/shapes\[0\] must contain positive integers only \(got shapes\[0\]=\[3, 0, 8, 8\]\)/);
    expect(() => layerDensities('random' as 'erk', [[2, 2]], 0.5)).toThrow(/mode=random/);
  });
});
