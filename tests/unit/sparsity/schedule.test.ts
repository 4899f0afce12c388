// Schedules: cubic density ramp (endpoints, closed-form midpoint, monotone and bounded
// for powers 2 and 3, constant between updates), update steps, cosine decay (regrowth
// rate, BYOL momentum), fractions of a run → steps, argument errors.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosineDecay, cubicDensity, isUpdateStep, stepsFromFractions } from '../../../src/engine/sparsity/schedule';

const RUNS = { numRuns: 30 };

describe('cubicDensity', () => {
  const s = { initial: 1, final: 0.2, start: 0, end: 100, every: 1 };

  it('endpoints: initial before and at start, final at and after end', () => {
    const late = { ...s, start: 10, end: 110 };
    expect(cubicDensity(0, late)).toBe(1);
    expect(cubicDensity(9, late)).toBe(1);
    expect(cubicDensity(10, late)).toBe(1);
    expect(cubicDensity(110, late)).toBe(0.2);
    expect(cubicDensity(5000, late)).toBe(0.2);
  });

  it('midpoint matches the closed form (hand values)', () => {
    // u = 1/2: 0.2 + 0.8·(1/2)^3 = 0.3; power 2: 0.2 + 0.8·(1/4) = 0.4
    expect(cubicDensity(50, s)).toBeCloseTo(0.3, 12);
    expect(cubicDensity(50, { ...s, power: 2 })).toBeCloseTo(0.4, 12);
    // u = 1/4: 0.2 + 0.8·(3/4)^3 = 0.2 + 0.3375 = 0.5375
    expect(cubicDensity(25, s)).toBeCloseTo(0.5375, 12);
    // rising (N:M fraction 0 → 1): 1 − (1/2)^3 = 0.875
    expect(cubicDensity(50, { ...s, initial: 0, final: 1 })).toBeCloseTo(0.875, 12);
  });

  it('is piecewise constant between updates every `every` steps', () => {
    const e = { ...s, start: 10, end: 110, every: 10 };
    for (let t = 20; t < 30; t++) expect(cubicDensity(t, e)).toBe(cubicDensity(20, e));
    // value at step 25 is the formula at t = 20: u = 0.1 → 0.2 + 0.8·0.9^3 = 0.7832
    expect(cubicDensity(25, e)).toBeCloseTo(0.7832, 12);
    // last partial interval: 100..109 hold the value at 100 (u = 0.9 → 0.2 + 0.8·0.001), 110 is final
    expect(cubicDensity(109, e)).toBeCloseTo(0.2008, 12);
    expect(cubicDensity(110, e)).toBe(0.2);
  });

  it('is monotone and bounded by initial and final for powers 2 and 3', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
        fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
        fc.constantFrom(2, 3),
        (start, len, every, initial, final, power) => {
          const sch = { initial, final, start, end: start + len, every, power };
          const lo = Math.min(initial, final);
          const hi = Math.max(initial, final);
          let prev = cubicDensity(0, sch);
          for (let t = 0; t <= start + len + 5; t++) {
            const d = cubicDensity(t, sch);
            expect(d).toBeGreaterThanOrEqual(lo - 1e-12);
            expect(d).toBeLessThanOrEqual(hi + 1e-12);
            if (final <= initial) expect(d).toBeLessThanOrEqual(prev + 1e-12);
            else expect(d).toBeGreaterThanOrEqual(prev - 1e-12);
            prev = d;
          }
        },
      ),
      RUNS,
    );
  });

  it('rejects impossible arguments, naming them', () => {
    expect(() => cubicDensity(0, { ...s, initial: 1.5 })).toThrow('cubicDensity: initial must be a number in [0, 1] (got initial=1.5)');
    expect(() => cubicDensity(0, { ...s, final: NaN })).toThrow(/final=NaN/);
    expect(() => cubicDensity(0, { ...s, every: 0 })).toThrow(/every=0/);
    expect(() => cubicDensity(0, { ...s, start: 50, end: 10 })).toThrow(/end must be ≥ start \(got start=50, end=10\)/);
    expect(() => cubicDensity(0, { ...s, power: -1 })).toThrow(/power=-1/);
    expect(() => cubicDensity(NaN, s)).toThrow(/step=NaN/);
  });
});

describe('isUpdateStep', () => {
  it('is true at start, every `every` steps, and at end', () => {
    const w = { start: 10, end: 35, every: 10 };
    const updates = Array.from({ length: 50 }, (_, t) => t).filter((t) => isUpdateStep(t, w));
    expect(updates).toEqual([10, 20, 30, 35]);
    expect(isUpdateStep(12.5, w)).toBe(false);
    expect(() => isUpdateStep(3, { start: 0, end: 5, every: 0 })).toThrow(/every=0/);
  });

  it('the density only changes at update steps', () => {
    const sch = { initial: 1, final: 0.1, start: 3, end: 40, every: 4 };
    for (let t = 1; t < 50; t++) {
      if (cubicDensity(t, sch) !== cubicDensity(t - 1, sch)) expect(isUpdateStep(t, sch)).toBe(true);
    }
  });
});

describe('cosineDecay', () => {
  it('decays from `from` to `to` with the half-cosine (hand values)', () => {
    const r = { from: 0.5, to: 0, end: 100 };
    expect(cosineDecay(0, r)).toBe(0.5);
    expect(cosineDecay(50, r)).toBeCloseTo(0.25, 12);
    expect(cosineDecay(100, r)).toBe(0);
    expect(cosineDecay(150, r)).toBe(0);
    // with a start: before start the initial value
    expect(cosineDecay(5, { from: 0.5, to: 0, start: 10, end: 30 })).toBe(0.5);
    expect(cosineDecay(20, { from: 0.5, to: 0, start: 10, end: 30 })).toBeCloseTo(0.25, 12);
  });

  it('BYOL momentum: 1 − (1 − m0)(cos(πk/K) + 1)/2', () => {
    const m0 = 0.99;
    const K = 200;
    for (const k of [0, 25, 100, 170, 200]) {
      expect(cosineDecay(k, { from: m0, to: 1, end: K })).toBeCloseTo(1 - ((1 - m0) * (Math.cos((Math.PI * k) / K) + 1)) / 2, 12);
    }
    // monotone towards 1, never above it
    let prev = 0;
    for (let k = 0; k <= K; k++) {
      const m = cosineDecay(k, { from: m0, to: 1, end: K });
      expect(m).toBeGreaterThanOrEqual(prev);
      expect(m).toBeLessThanOrEqual(1);
      prev = m;
    }
  });

  it('rejects impossible arguments', () => {
    expect(() => cosineDecay(0, { from: NaN, to: 0, end: 10 })).toThrow(/from=NaN/);
    expect(() => cosineDecay(0, { from: 1, to: 0, start: 20, end: 10 })).toThrow(/got start=20, end=10/);
  });
});

describe('stepsFromFractions', () => {
  it('converts fractions of a run to step numbers, every ≥ 1', () => {
    expect(stepsFromFractions({ startFraction: 0.1, endFraction: 0.8, everyFraction: 0.05 }, 1000)).toEqual({
      start: 100,
      end: 800,
      every: 50,
    });
    // a 50-step run still covers the whole schedule; 0.01·50 = 0.5 → 1 (every ≥ 1)
    expect(stepsFromFractions({ startFraction: 0.1, endFraction: 0.8, everyFraction: 0.001 }, 50)).toEqual({
      start: 5,
      end: 40,
      every: 1,
    });
    // A run of 7 trains steps 0…6: a window ending with the run ends at its last step.
    expect(stepsFromFractions({ startFraction: 0, endFraction: 1 }, 7)).toEqual({ start: 0, end: 6, every: 1 });
    expect(stepsFromFractions({ startFraction: 1, endFraction: 1 }, 7)).toEqual({ start: 6, end: 6, every: 1 });
    expect(stepsFromFractions({ startFraction: 0.9, endFraction: 0.95 }, 10)).toEqual({ start: 9, end: 9, every: 1 });
  });

  it('rejects impossible fractions', () => {
    expect(() => stepsFromFractions({ startFraction: 0.5, endFraction: 0.2 }, 10)).toThrow(
      'stepsFromFractions: endFraction must be ≥ startFraction (got startFraction=0.5, endFraction=0.2)',
    );
    expect(() => stepsFromFractions({ startFraction: -0.1, endFraction: 0.2 }, 10)).toThrow(/startFraction=-0.1/);
    expect(() => stepsFromFractions({ startFraction: 0, endFraction: 1, everyFraction: 2 }, 10)).toThrow(/everyFraction=2/);
    expect(() => stepsFromFractions({ startFraction: 0, endFraction: 1 }, 2.5)).toThrow(/totalSteps=2.5/);
  });
});
