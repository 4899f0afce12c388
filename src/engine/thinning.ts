// Bounded lists of steps: when a list is full, every other entry of the OLDER half is
// dropped, so recent steps stay dense and old ones thin out geometrically; the first and
// the newest entries are always kept. Used by the timeline's snapshots, the page's and
// the worker's rows, and a session's logged history (a run goes up to 10^6 steps).

/** Drop every other entry of the older half until at most `max` remain (newest half kept whole). */
export function thinOlderHalf<T>(list: readonly T[], max: number): T[] {
  return thinOlderHalfKeeping(list, max, () => false);
}

/**
 * As thinOlderHalf, but entries `keep` marks are never dropped (a run's kNN and mask-update
 * rows, which charts and replays need every one of). When the older half holds nothing to
 * drop, the newer half is thinned too (the newest entry stays); it gives up when only kept
 * entries are left to drop.
 */
export function thinOlderHalfKeeping<T>(list: readonly T[], max: number, keep: (t: T) => boolean): T[] {
  if (max < 2) throw new Error(`thinOlderHalf: max must be ≥ 2 (got ${max})`);
  // Every other droppable entry of the first `n`, the first droppable one kept; counted
  // among droppable entries only (kept ones every other step would otherwise fill the kept parity).
  const thin = (xs: T[], n: number) => {
    let droppable = 0;
    return [...xs.slice(0, n).filter((t) => keep(t) || droppable++ % 2 === 0), ...xs.slice(n)];
  };
  let out = list.slice();
  while (out.length > max) {
    let next = thin(out, Math.floor(out.length / 2));
    if (next.length === out.length) next = thin(out, out.length - 1);
    if (next.length === out.length) break;
    out = next;
  }
  return out;
}
