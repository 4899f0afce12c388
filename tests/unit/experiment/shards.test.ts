// partitionByCost: every run in exactly one process, and no process much longer than the
// ideal share — checked on random costs against the bound LPT guarantees.
import { describe, expect, it } from 'vitest';
import { partitionByCost } from '../../../src/cli/shards';
import { rng } from '../../../src/engine/random';

describe('partitionByCost', () => {
  it('puts every item in one group, keeps their order, and the largest group within ideal + largest item', () => {
    const r = rng(7);
    const rand = () => r.next();
    for (let trial = 0; trial < 200; trial++) {
      const count = Math.floor(rand() * 30);
      const n = 1 + Math.floor(rand() * 4);
      const items = Array.from({ length: count }, (_, i) => ({ i, c: 1 + Math.floor(rand() * 100) }));
      const groups = partitionByCost(items, n, (x) => x.c);
      expect(groups).toHaveLength(n);
      const seen = groups.flat().map((x) => x.i).sort((a, b) => a - b);
      expect(seen).toEqual(items.map((x) => x.i));
      for (const g of groups) for (let k = 1; k < g.length; k++) expect(g[k].i).toBeGreaterThan(g[k - 1].i);
      const total = items.reduce((s, x) => s + x.c, 0);
      const biggest = Math.max(0, ...items.map((x) => x.c));
      for (const g of groups) expect(g.reduce((s, x) => s + x.c, 0)).toBeLessThanOrEqual(total / n + biggest);
    }
  });

  it('splits 42 runs of three costs as a person would: equal halves when they exist', () => {
    // 6 runs of 3, 12 of 2, 24 of 1 → total 66, two halves of 33.
    const items = [...Array(6).fill(3), ...Array(12).fill(2), ...Array(24).fill(1)] as number[];
    const [a, b] = partitionByCost(items, 2, (x) => x);
    expect(a.reduce((s, x) => s + x, 0)).toBe(33);
    expect(b.reduce((s, x) => s + x, 0)).toBe(33);
  });

  it('rejects a group count that is not a positive integer', () => {
    expect(() => partitionByCost([1], 0, (x) => x)).toThrow(/positive integer/);
  });
});
