// GraNet regrowth as a pure function, against a hand example and properties over random
// masks: the kept count is unchanged, dropped ⊆ kept, grown ⊆ pruned before, disjoint.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regrow } from '../../../src/engine/sparsity/regrowth';

describe('regrow', () => {
  it('drops the smallest |W| kept and grows the largest |grad| pruned (hand example)', () => {
    //            0    1    2    3    4    5
    const mask = Uint8Array.from([1, 1, 1, 0, 0, 0]);
    const w = [0.5, 0.1, 0.9, 0, 0, 0];
    const g = [9, 9, 9, 0.2, 0.7, 0.4];
    // nnz 3, rate 0.34 → k = round(1.02) = 1: drop index 1 (|W| 0.1), grow index 4 (|g| 0.7).
    const r = regrow(mask, w, g, 0.34)!;
    expect(Array.from(r.mask)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(Array.from(r.dropped)).toEqual([0, 1, 0, 0, 0, 0]);
    expect(Array.from(r.grown)).toEqual([0, 0, 0, 0, 1, 0]);
    expect(regrow(mask, w, g, 0)).toBeNull();
    expect(regrow(Uint8Array.from([1, 1]), [1, 2], [1, 1], 0.5)).toBeNull(); // nothing pruned to grow into
  });

  it('keeps the count, drops only kept and grows only previously pruned positions, never both', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 60, max: 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (mask, rate, seed) => {
        const n = mask.length;
        const w = Array.from({ length: n }, (_, i) => Math.abs(Math.sin(seed + i)));
        const g = Array.from({ length: n }, (_, i) => Math.abs(Math.cos(seed * 3 + i)));
        const r = regrow(mask, w, g, rate);
        if (!r) return;
        const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
        expect(count(r.mask)).toBe(count(mask));
        for (let j = 0; j < n; j++) {
          if (r.dropped[j]) expect(mask[j]).toBe(1);
          if (r.grown[j]) expect(mask[j]).toBe(0);
          expect(r.dropped[j] && r.grown[j]).toBeFalsy();
        }
        expect(count(r.dropped)).toBe(count(r.grown));
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
