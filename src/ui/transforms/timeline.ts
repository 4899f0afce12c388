// Bounded history of snapshots for the timeline scrubber, thinned as engine/thinning.ts says.

import { thinByAge } from '../../engine/thinning';

export interface Stepped {
  step: number;
}

/** Append `entry` (replacing an entry of the same step or later: a reset) and decimate to at most `max` entries. */
export function pushDecimated<T extends Stepped>(list: readonly T[], entry: T, max: number): T[] {
  const out = list.filter((e) => e.step < entry.step);
  out.push(entry);
  return thinByAge(out, max, (e) => e.step);
}
