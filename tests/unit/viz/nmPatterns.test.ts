// N:M pattern grid: pattern ids checked against a brute-force enumeration of all
// C(M, N) subsets (every M-bit mask with N ones, ordered by its sorted kept positions)
// and against a kernel built by hand.
import { describe, expect, it } from 'vitest';
import { NM_DENSE, NM_OTHER, NM_TAIL, NM_UNLISTED, nmPatternGrid, nmPatternList, patternCounts, patternLabel } from '../../../src/engine/viz/nmPatterns';

/** All subsets of {0..m-1} of size n, as sorted index lists, lexicographic: brute force over 2^m masks. */
function bruteForce(n: number, m: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < 1 << m; b++) {
    const idx: number[] = [];
    for (let j = 0; j < m; j++) if (b & (1 << j)) idx.push(j);
    if (idx.length === n) out.push(idx);
  }
  return out.sort((a, b) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  });
}

/** Flat index of kernel [kh, kw, C_in, C_out] element (a, b, c, o), tfjs row-major. */
const flat = (shape: number[], a: number, b: number, c: number, o: number) => ((a * shape[1] + b) * shape[2] + c) * shape[3] + o;

describe('nmPatternList', () => {
  it('2:4 lists the six patterns in the documented order', () => {
    expect(nmPatternList(2, 4)).toEqual([0b0011, 0b0101, 0b1001, 0b0110, 0b1010, 0b1100]);
  });

  it.each([
    [1, 2, 2],
    [1, 4, 4],
    [2, 4, 6],
    [3, 4, 4],
    [2, 8, 28],
    [4, 8, 70],
  ])('%i:%i has C(M,N) = %i patterns, the same set and order as brute force', (n, m, count) => {
    const list = nmPatternList(n, m);
    expect(list.length).toBe(count);
    const expected = bruteForce(n, m).map((idx) => idx.reduce((b, j) => b | (1 << j), 0));
    expect(list).toEqual(expected);
  });

  it('too many patterns to colour: empty list', () => {
    expect(nmPatternList(8, 16)).toEqual([]); // C(16, 8) = 12870
  });

  it('labels kept channels first-to-last', () => {
    expect(patternLabel(0b0101, 4)).toBe('●○●○');
    expect(patternLabel(0b1100, 4)).toBe('○○●●');
  });
});

describe('nmPatternGrid', () => {
  it('a hand-built kernel: pattern ids, dense, other and tail cells in the documented layout', () => {
    // kh=1, kw=2, C_in=6, C_out=2, M=4: one full group (channels 0–3) and a 2-channel tail per row.
    const shape = [1, 2, 6, 2];
    const keep = new Uint8Array(24);
    const set = (b: number, o: number, cs: number[]) => cs.forEach((c) => (keep[flat(shape, 0, b, c, o)] = 1));
    set(0, 0, [0, 2, 4, 5]); // group {0,2} → 0b0101 → id 1; tail kept
    set(0, 1, [0, 1, 2, 3]); // all four → dense
    set(1, 0, [2, 3]); // {2,3} → 0b1100 → id 5; tail pruned (still reported as tail)
    set(1, 1, [1]); // one kept → other
    const g = nmPatternGrid(keep, shape, 2, 4);
    expect({ rows: g.rows, rowsShown: g.rowsShown, groups: g.groups, tail: g.tail, cols: g.cols }).toEqual({ rows: 4, rowsShown: 4, groups: 1, tail: 2, cols: 2 });
    // rows: r = (a·kw + b)·C_out + o → (b0,o0), (b0,o1), (b1,o0), (b1,o1)
    expect([...g.ids]).toEqual([1, NM_TAIL, NM_DENSE, NM_TAIL, 5, NM_TAIL, NM_OTHER, NM_TAIL]);
    expect(patternCounts(g)).toEqual({ perPattern: [0, 1, 0, 0, 0, 1], dense: 1, other: 1, unlisted: 0, total: 4 });
  });

  it('random 2:4 and 3:8 masks: every group id names exactly its kept channels (brute-force lookup)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const [n, m, shape] of [
      [2, 4, [3, 3, 8, 5]],
      [3, 8, [1, 3, 16, 3]],
    ] as [number, number, number[]][]) {
      const [kh, kw, cIn, cOut] = shape;
      const size = kh * kw * cIn * cOut;
      const keep = new Uint8Array(size);
      const combos = bruteForce(n, m);
      const expected: number[] = [];
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++)
          for (let o = 0; o < cOut; o++)
            for (let g = 0; g < cIn / m; g++) {
              const u = rand();
              // Mostly N:M groups, some dense, some with N−1 kept.
              let chosen: number[];
              if (u < 0.7) chosen = combos[Math.floor(rand() * combos.length)];
              else if (u < 0.85) chosen = [...Array(m).keys()];
              else chosen = combos[Math.floor(rand() * combos.length)].slice(1);
              chosen.forEach((j) => (keep[flat(shape, a, b, g * m + j, o)] = 1));
              const id = chosen.length === n ? combos.findIndex((c) => c.join() === chosen.join()) : chosen.length === m ? NM_DENSE : NM_OTHER;
              expected[((a * kw + b) * cOut + o) * (cIn / m) + g] = id;
            }
      const grid = nmPatternGrid(keep, shape, n, m);
      expect([...grid.ids]).toEqual(expected);
      expect(grid.patterns.length).toBe(combos.length);
    }
  });

  it('large layers: rows beyond the cell budget are left out and reported', () => {
    const shape = [3, 3, 8, 10]; // 90 rows × 2 groups
    const g = nmPatternGrid(new Uint8Array(720).fill(1), shape, 2, 4, 50);
    expect(g.rows).toBe(90);
    expect(g.rowsShown).toBe(25);
    expect(g.ids.length).toBe(50);
    expect([...g.ids].every((id) => id === NM_DENSE)).toBe(true);
    // The histogram counts the whole layer: 90 rows × 2 groups, not the 25 rows drawn.
    expect(patternCounts(g).total).toBe(180);
    // Rows 0–24 dense, the rest 2:4 as {0,1}: before, the histogram said 100% dense.
    const keep = new Uint8Array(720).fill(1);
    for (let r = 25; r < 90; r++) {
      const [ab, o] = [Math.floor(r / 10), r % 10];
      for (const c of [2, 3, 6, 7]) keep[ab * 80 + c * 10 + o] = 0;
    }
    const mixed = patternCounts(nmPatternGrid(keep, shape, 2, 4, 50));
    expect(mixed).toEqual({ perPattern: [130, 0, 0, 0, 0, 0], dense: 50, other: 0, unlisted: 0, total: 180 });
    // A grid saved without counts is counted over its rows shown, as before.
    expect(patternCounts({ ...g, counts: undefined }).total).toBe(50);
  });

  it('N:M groups of an unlistable N:M are marked unlisted', () => {
    const shape = [1, 1, 16, 1];
    const keep = new Uint8Array(16);
    for (let j = 0; j < 8; j++) keep[j * 2] = 1;
    expect([...nmPatternGrid(keep, shape, 8, 16).ids]).toEqual([NM_UNLISTED]);
  });

  it('rejects a mask of the wrong size', () => {
    expect(() => nmPatternGrid(new Uint8Array(5), [1, 1, 4, 1], 2, 4)).toThrow(/needs 4/);
  });
});
