// Splitting an experiment's runs over worker processes (`npm run experiment -- --jobs N`).

/**
 * `items` in `n` groups of about equal cost: longest first, each to the group with the least
 * so far (LPT; the largest group exceeds the ideal by at most the largest item). Every item
 * lands in exactly one group; the input order is kept within a group.
 */
export function partitionByCost<T>(items: readonly T[], n: number, cost: (item: T) => number): T[][] {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`partitionByCost: n must be a positive integer (got ${n})`);
  const order = items.map((item, i) => ({ i, c: cost(item) })).sort((a, b) => b.c - a.c || a.i - b.i);
  const load = new Array<number>(n).fill(0);
  const member = new Array<number>(items.length);
  for (const { i, c } of order) {
    let g = 0;
    for (let k = 1; k < n; k++) if (load[k] < load[g]) g = k;
    load[g] += c;
    member[i] = g;
  }
  const groups: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => groups[member[i]].push(item));
  return groups;
}
