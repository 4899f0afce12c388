// GraNet regrowth as a pure function, against a hand example and properties over random
// masks: the kept count is unchanged, dropped ⊆ kept, grown ⊆ pruned before, disjoint.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regrow, regrowLayer } from '../../../src/engine/sparsity/regrowth';

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

describe('regrowLayer (one GraNet update of a layer)', () => {
  it('zeroes grown weights and those that left both masks; a weight dropped from the online mask only keeps its value (hand example)', () => {
    //                                 0  1  2  3  4  5
    const previous = { online: Uint8Array.from([1, 1, 1, 0, 0, 0]), target: Uint8Array.from([1, 1, 1, 1, 1, 0]) };
    // After magnitude pruning: online lost 2 (still in the target), target lost 4 (left both).
    const online = Uint8Array.from([1, 1, 0, 0, 0, 0]);
    const target = Uint8Array.from([1, 1, 1, 1, 0, 0]);
    const w = [0.5, 0.1, 0.3, 0.2, 0.05, 0];
    const g = [0, 0, 0.1, 0.2, 0.3, 0.9];
    // rate 0.5 of nnz 2 → 1 swap: drop index 1 (smallest kept |W|), grow index 5 (largest |g| pruned).
    const r = regrowLayer({ online, target, previous, weightMagnitude: w, gradMagnitude: g, rate: 0.5 });
    expect(Array.from(r.online)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(Array.from(r.target)).toEqual([1, 1, 1, 1, 0, 0]); // per-branch: the target is left as it was
    expect(Array.from(r.grown)).toEqual([0, 0, 0, 0, 0, 1]);
    // zeroed: 4 (kept before, in neither mask now) and 5 (grown); not 1 or 2, which the target still uses
    expect(Array.from(r.zero)).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('shared scores: the target is re-nested around the regrown online mask at its own count', () => {
    const previous = { online: Uint8Array.from([1, 1, 1, 1]), target: Uint8Array.from([1, 1, 1, 1]) };
    const online = Uint8Array.from([1, 1, 0, 0]);
    const target = Uint8Array.from([1, 1, 1, 0]);
    const scores = [0.9, 0.1, 0.5, 0.2];
    // drop index 1, grow index 3 (|g| 0.8); target keeps 3: the new online {0, 3} plus the best other score, index 2
    const r = regrowLayer({ online, target, previous, weightMagnitude: scores, gradMagnitude: [0, 0, 0.1, 0.8], rate: 0.5, nestScores: scores });
    expect(Array.from(r.online)).toEqual([1, 0, 0, 1]);
    expect(Array.from(r.target)).toEqual([1, 0, 1, 1]);
    expect(Array.from(r.zero)).toEqual([0, 1, 0, 1]); // 1 left both masks, 3 was grown
  });

  it('properties: kept counts unchanged, online ⊆ target with shared scores, zeroed = grown ∪ (kept before \\ kept now)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, seed, rate) => {
        const rnd = (i: number, s: number) => ((i * 7919 + seed * 104729 + s) % 1009) / 1009;
        const scores = Array.from({ length: n }, (_, i) => rnd(i, 1));
        const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
        const top = (k: number) => Uint8Array.from(scores.map((_, i) => (order.indexOf(i) < k ? 1 : 0)));
        const kOn = Math.floor(n / 3);
        const kTg = Math.floor((2 * n) / 3);
        const previous = { online: top(kTg), target: top(n) };
        const r = regrowLayer({ online: top(kOn), target: top(kTg), previous, weightMagnitude: scores, gradMagnitude: scores.map((_, i) => rnd(i, 2)), rate, nestScores: scores });
        const ones = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
        expect(ones(r.online)).toBe(kOn);
        expect(ones(r.target)).toBe(kTg);
        for (let i = 0; i < n; i++) {
          if (r.online[i]) expect(r.target[i]).toBe(1);
          const leftBoth = (previous.online[i] | previous.target[i]) === 1 && (r.online[i] | r.target[i]) === 0;
          expect(r.zero[i]).toBe(r.grown[i] || leftBoth ? 1 : 0);
        }
      }),
      { numRuns: 50 },
    );
  });
});
