// Bounded lists of steps: when a list is full, entries are dropped where the gap left
// behind is smallest for their age (gap ÷ steps before the newest), so the spacing of what
// is kept grows in proportion to age: recent steps dense, old ones geometrically thinner,
// the whole run covered. The first and the newest entries are always kept, and the newest
// ⌊max/2⌋ entries while older ones can go. Used by the timeline's snapshots, the page's and
// the worker's rows, and a session's logged history (a run goes up to 10^6 steps).
//
// (It used to halve the older half at every overflow, already-thinned entries included:
// old entries died out exponentially, and a 2800-step timeline of 48 kept step 0 and
// nothing before step 2080.)

/**
 * At most `max` entries of `list` (ascending steps), thinned as above. Entries `keep` marks
 * are never dropped (a run's kNN and mask-update rows, which charts and replays need every
 * one of); when only those and the newest half are left, the newest half is thinned too, and
 * the result may exceed `max` when only kept entries are left to drop. A list over `max` is
 * thinned to 7/8 of it (less when that would take more than half the droppable entries), so
 * appending one entry at a time thins once every max/8 entries.
 */
export function thinByAge<T>(list: readonly T[], max: number, stepOf: (t: T) => number, keep: (t: T) => boolean = () => false): T[] {
  if (max < 2) throw new Error(`thinByAge: max must be ≥ 2 (got ${max})`);
  const n = list.length;
  if (n <= max) return list.slice();
  // Thinned to 7/8 of max (amortised), but never by more than half the droppable entries: with
  // kept rows near max, the 7/8 would take every other row.
  let keptCount = 0;
  for (const t of list) if (keep(t)) keptCount++;
  const target = max >= 16 ? max - Math.min(Math.floor(max / 8), Math.floor((n - keptCount) / 2)) : max;
  const step = list.map(stepOf);
  const newest = step[n - 1];
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const next = Int32Array.from({ length: n }, (_, i) => i + 1);
  const alive = new Uint8Array(n).fill(1);
  const version = new Uint32Array(n);
  let count = n;
  const cost = (i: number) => (step[next[i]] - step[prev[i]]) / Math.max(1, newest - step[i]);
  // Older entries first; the newest half only when the older ones cannot make room.
  const recentFrom = n - Math.floor(max / 2);
  for (const hi of [recentFrom, n - 1]) {
    if (count <= target) break;
    const heap = new MinHeap();
    for (let i = 1; i < hi; i++) if (alive[i] && !keep(list[i])) heap.push(cost(i), i, version[i]);
    while (count > target && heap.size > 0) {
      const { i, v } = heap.pop();
      if (!alive[i] || v !== version[i]) continue;
      alive[i] = 0;
      count--;
      const p = prev[i];
      const q = next[i];
      next[p] = q;
      prev[q] = p;
      // The neighbours' gaps grew: their costs go in again (the old ones are stale by version).
      for (const j of [p, q]) {
        if (j > 0 && j < hi && !keep(list[j])) heap.push(cost(j), j, ++version[j]);
      }
    }
  }
  return list.filter((_, i) => alive[i] === 1);
}

/** Binary min-heap of (cost, index, version); ties go to the older (smaller) index. */
class MinHeap {
  private readonly items: { c: number; i: number; v: number }[] = [];
  get size(): number {
    return this.items.length;
  }
  push(c: number, i: number, v: number): void {
    const a = this.items;
    a.push({ c, i, v });
    let k = a.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(a[k], a[p])) break;
      [a[k], a[p]] = [a[p], a[k]];
      k = p;
    }
  }
  pop(): { i: number; v: number } {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === k) break;
        [a[k], a[m]] = [a[m], a[k]];
        k = m;
      }
    }
    return top;
  }
  private less(x: { c: number; i: number }, y: { c: number; i: number }): boolean {
    return x.c < y.c || (x.c === y.c && x.i < y.i);
  }
}
