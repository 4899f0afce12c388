// N:M pattern grid of one kernel's 0/1 mask, for the N:M panel. Pure (no tfjs, no DOM):
// the Worker computes it for the selected layer and posts it; the page only colours it.
//
// Layout (the same as the SyncCP mask heatmap, so the two panels line up):
//   row r = (a·kw + b)·C_out + o   (kernel position (a, b), output channel o)
//   col g = group of M consecutive input channels g·M … g·M + M − 1 (full groups first);
//           one more column for the tail group when C_in mod M ≠ 0 (kept dense, DESIGN.md).
// Each cell holds the group's code: its pattern id in [0, C(M, N)) when exactly N of the
// M weights are kept, or one of the negative codes below.

/** All M kept: a dense group (a group the N:M ramp has not reached yet). */
export const NM_DENSE = -1;
/** Neither N:M nor dense (e.g. fewer than N kept). */
export const NM_OTHER = -2;
/** The partial group at the end of a row (C_in mod M channels, kept dense). */
export const NM_TAIL = -3;
/** Exactly N kept, but C(M, N) is too large to list patterns (M > 16 or > MAX_PATTERNS patterns). */
export const NM_UNLISTED = -4;

export const MAX_PATTERNS = 256;
/** Cells at most in a posted grid; rows beyond it are left out (rowsShown < rows). */
export const MAX_GRID_CELLS = 1 << 17;

export interface NMPatternGrid {
  n: number;
  m: number;
  /** kh·kw·C_out. */
  rows: number;
  /** Rows included in `ids` (the first rowsShown rows); < rows only for very large layers. */
  rowsShown: number;
  /** Full groups per row: floor(C_in / M). */
  groups: number;
  /** Input channels in the tail group (0 = none). */
  tail: number;
  /** Columns of `ids`: groups + (tail ? 1 : 0). */
  cols: number;
  kh: number;
  kw: number;
  cOut: number;
  /** Bit masks of the listed patterns (bit j = j-th channel of the group kept), in id order; empty when unlisted. */
  patterns: number[];
  /** rowsShown × cols codes, row-major. */
  ids: Int16Array;
  /** Patterns over every row of the layer, not only the rows shown (absent in snapshots saved before it). */
  counts?: PatternCounts;
}

function binomial(m: number, n: number): number {
  let c = 1;
  for (let i = 0; i < n; i++) c = (c * (m - i)) / (i + 1);
  return Math.round(c);
}

/**
 * The C(M, N) patterns as bit masks, ordered lexicographically by their sorted kept
 * positions: for 2:4, {0,1}, {0,2}, {0,3}, {1,2}, {1,3}, {2,3} → 0b0011, 0b0101, 0b1001,
 * 0b0110, 0b1010, 0b1100. Empty when there are more than `max` of them or M > 16.
 */
export function nmPatternList(n: number, m: number, max = MAX_PATTERNS): number[] {
  if (m > 16 || n < 0 || n > m || binomial(m, n) > max) return [];
  const out: number[] = [];
  const pick: number[] = [];
  const rec = (from: number) => {
    if (pick.length === n) {
      out.push(pick.reduce((b, j) => b | (1 << j), 0));
      return;
    }
    for (let j = from; j <= m - (n - pick.length); j++) {
      pick.push(j);
      rec(j + 1);
      pick.pop();
    }
  };
  rec(0);
  return out;
}

/** "●●○○": kept (●) and pruned (○) channels of a pattern, first channel of the group first. */
export function patternLabel(bits: number, m: number): string {
  let s = '';
  for (let j = 0; j < m; j++) s += bits & (1 << j) ? '●' : '○';
  return s;
}

/** The pattern grid of a 0/1 mask of a tfjs kernel [kh, kw, C_in, C_out] (row-major). */
export function nmPatternGrid(keep: ArrayLike<number>, shape: readonly number[], n: number, m: number, maxCells = MAX_GRID_CELLS): NMPatternGrid {
  const [kh, kw, cIn, cOut] = shape;
  if (keep.length !== kh * kw * cIn * cOut) throw new Error(`nmPatternGrid: mask has ${keep.length} entries, shape ${shape.join('×')} needs ${kh * kw * cIn * cOut}`);
  if (!(m >= 1) || !(n >= 0) || n > m) throw new Error(`nmPatternGrid: need 0 ≤ N ≤ M (got ${n}:${m})`);
  const patterns = nmPatternList(n, m);
  const lookup = new Map<number, number>(patterns.map((b, i) => [b, i]));
  const groups = Math.floor(cIn / m);
  const tail = cIn % m;
  const cols = groups + (tail ? 1 : 0);
  const rows = kh * kw * cOut;
  const rowsShown = Math.max(0, Math.min(rows, Math.floor(maxCells / Math.max(1, cols))));
  const ids = new Int16Array(rowsShown * cols);
  const counts: PatternCounts = { perPattern: new Array<number>(patterns.length).fill(0), dense: 0, other: 0, unlisted: 0, total: 0 };
  // Every row is counted (the histogram is the layer's); only the first rowsShown are drawn.
  for (let r = 0; r < rows; r++) {
    const ab = Math.floor(r / cOut);
    const o = r % cOut;
    const base = ab * cIn * cOut + o;
    for (let g = 0; g < groups; g++) {
      let bits = 0;
      let k = 0;
      for (let j = 0; j < m; j++) {
        if (keep[base + (g * m + j) * cOut]) {
          bits |= 1 << j;
          k++;
        }
      }
      let code: number;
      if (k === n && n < m) code = patterns.length ? lookup.get(bits)! : NM_UNLISTED;
      else if (k === m) code = NM_DENSE;
      else code = NM_OTHER;
      countCode(counts, code);
      if (r < rowsShown) ids[r * cols + g] = code;
    }
    if (tail && r < rowsShown) ids[r * cols + groups] = NM_TAIL;
  }
  return { n, m, rows, rowsShown, groups, tail, cols, kh, kw, cOut, patterns, ids, counts };
}

export interface PatternCounts {
  /** Groups holding each listed pattern, in id order. */
  perPattern: number[];
  dense: number;
  other: number;
  unlisted: number;
  /** Full groups counted (tail cells excluded). */
  total: number;
}

function countCode(c: PatternCounts, id: number): void {
  c.total++;
  if (id >= 0) c.perPattern[id]++;
  else if (id === NM_DENSE) c.dense++;
  else if (id === NM_UNLISTED) c.unlisted++;
  else c.other++;
}

/**
 * How many of the layer's full groups hold each pattern (and how many are dense or other):
 * the grid's counts over every row, or, for a grid saved without them, over the rows shown.
 */
export function patternCounts(grid: Pick<NMPatternGrid, 'ids' | 'patterns' | 'counts'>): PatternCounts {
  if (grid.counts) return grid.counts;
  const c: PatternCounts = { perPattern: new Array<number>(grid.patterns.length).fill(0), dense: 0, other: 0, unlisted: 0, total: 0 };
  for (const id of grid.ids) if (id !== NM_TAIL) countCode(c, id);
  return c;
}
