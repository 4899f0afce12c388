// Bounded history of snapshots for the timeline scrubber. When the list is full, every
// other entry of the OLDER half is dropped, so recent steps stay dense and old ones
// thin out geometrically; the first and the newest entries are always kept.

export interface Stepped {
  step: number;
}

/** Append `entry` (replacing an entry of the same step) and decimate to at most `max` entries. */
export function pushDecimated<T extends Stepped>(list: readonly T[], entry: T, max: number): T[] {
  if (max < 2) throw new Error(`pushDecimated: max must be ≥ 2 (got ${max})`);
  const out = list.filter((e) => e.step !== entry.step && e.step < entry.step);
  out.push(entry);
  if (out.length <= max) return out;
  const half = Math.floor(out.length / 2);
  const old = out.slice(0, half).filter((_, i) => i % 2 === 0);
  return [...old, ...out.slice(half)];
}

/** Index of the entry whose step is closest to `step` (last one on ties); -1 for an empty list. */
export function nearestIndex(list: readonly Stepped[], step: number): number {
  let best = -1;
  let bestD = Infinity;
  list.forEach((e, i) => {
    const d = Math.abs(e.step - step);
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}
