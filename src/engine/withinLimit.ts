// A promise raced against a time limit: what the backend starts and the calibration use so
// that a GPU process that stops answering costs seconds and a reason, never the app.
import { formatMs } from './calibrationSpeedup';

/** The rejection of withinLimit: `p` had not settled when the limit came. */
export class LimitExceeded extends Error {}

/** `p`, or a rejection saying `what` did not finish within `ms` (p is left to settle on its own). */
export async function withinLimit<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new LimitExceeded(`${what} did not finish within ${formatMs(ms)}`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
    p.catch(() => {});
  }
}
