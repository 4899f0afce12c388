// How many step rows a run keeps, in the worker (for replays and the autosave) and on the
// page (for the charts). Charts draw a few hundred points, so a long run (up to 10^6 steps)
// keeps its older rows thinned: otherwise both would grow without bound, and the autosave
// would rewrite every row to storage every few seconds.
import { thinByAge } from '../engine/thinning';
import type { ProgressRow } from './protocol';

export const MAX_PROGRESS_ROWS = 20_000;

/** Rows never thinned: kNN rows (the kNN chart draws each) and mask-update rows (the update charts replay them). */
const needed = (r: ProgressRow) => r.knn !== undefined || r.update !== undefined;

/** `rows` thinned by age (engine/thinning.ts) when there are more than `max`. */
export function capRows(rows: ProgressRow[], max = MAX_PROGRESS_ROWS): ProgressRow[] {
  return rows.length > max ? thinByAge(rows, max, (r) => r.step, needed) : rows;
}
