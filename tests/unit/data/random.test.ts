// Tests for the seeded PRNG: reference values, ranges, independence of forks.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/engine/random';

// Independent splitmix32 in BigInt arithmetic, to check the Math.imul implementation.
function referenceUint32(seed: number, n: number): number[] {
  const M = 0xffffffffn;
  const mix = (x: bigint) => {
    let z = x & M;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
    return (z ^ (z >> 16n)) & M;
  };
  let state = mix(BigInt(seed >>> 0)); // the constructor mixes the seed once (high word 0 for small seeds)
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    state = (state + 0x9e3779b9n) & M;
    out.push(Number(mix(state)));
  }
  return out;
}

describe('Rng', () => {
  it('matches a BigInt reference of splitmix32', () => {
    for (const seed of [0, 1, 42, 123456789, 2 ** 31 - 1]) {
      const r = new Rng(seed);
      expect(Array.from({ length: 20 }, () => r.nextUint32())).toEqual(referenceUint32(seed, 20));
    }
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(7), b = new Rng(7), c = new Rng(8);
    const xa = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xa);
  });

  it('next() is in [0, 1) with mean ≈ 1/2; int(n) covers 0..n-1 uniformly', () => {
    const r = new Rng(1);
    let sum = 0;
    const counts = new Array(7).fill(0);
    const N = 70000;
    for (let i = 0; i < N; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
      counts[r.int(7)]++;
    }
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.01);
    for (const c of counts) expect(Math.abs(c - N / 7)).toBeLessThan(5 * Math.sqrt(N / 7)); // 5 sigma
    expect(() => r.int(0)).toThrow(/positive integer/);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const r = new Rng(2);
    const N = 50000;
    let s = 0, s2 = 0;
    for (let i = 0; i < N; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / N)).toBeLessThan(0.03);
    expect(Math.abs(s2 / N - 1)).toBeLessThan(0.03);
  });

  it('fork(label) depends on seed and label only, and streams differ', () => {
    const a = new Rng(5);
    const f1 = a.fork('x').next();
    a.next();
    a.next();
    expect(a.fork('x').next()).toBe(f1); // draws on the parent do not shift the fork
    expect(a.fork('y').next()).not.toBe(f1);
    expect(new Rng(6).fork('x').next()).not.toBe(f1);
    expect(a.fork(1).seed).not.toBe(a.fork(2).seed);
  });

  it('shuffle is a seeded permutation', () => {
    const p = new Rng(3).shuffle([...Array(50).keys()]);
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(new Rng(3).shuffle([...Array(50).keys()])).toEqual(p);
    expect(p).not.toEqual([...Array(50).keys()]);
  });

  it('rejects non-finite seeds', () => {
    expect(() => new Rng(NaN)).toThrow(/finite/);
  });
});
