// How much faster the measured choice is than the slowest backend timed, and how a timing
// reads: what the calibration notice (page) and the CLI's log both state. tfjs-free, so the
// page can import it.
import type { BackendName } from './backend';
import type { BackendTiming, Calibration } from './backendChoice';

/**
 * How much faster the chosen backend is than the slowest one timed, where that is worth
 * saying (> 1.5×). A backend cut off at the deadline took longer than its `overMs`, so
 * against it the factor is a lower bound.
 */
export function speedupOverSlowest(c: Pick<Calibration, 'timings' | 'chosen'>): { factor: number; slowest: BackendName; atLeast: boolean } | undefined {
  const chosen = c.timings.find((t) => t.backend === c.chosen)?.ms;
  if (!chosen) return undefined;
  let slowest: BackendTiming | undefined;
  let slowestMs = 0;
  for (const t of c.timings) {
    const ms = t.ms ?? t.overMs ?? 0;
    if (ms > slowestMs) [slowest, slowestMs] = [t, ms];
  }
  if (!slowest || slowestMs <= 1.5 * chosen) return undefined;
  return { factor: slowestMs / chosen, slowest: slowest.backend, atLeast: slowest.ms === null };
}

/** "26× faster than the slowest, webgpu", or "at least 65× faster than webgl, which was cut off". */
export function describeSpeedup(g: { factor: number; slowest: BackendName; atLeast: boolean }): string {
  return g.atLeast ? `at least ${g.factor.toFixed(0)}× faster than ${g.slowest}, which was cut off` : `${g.factor.toFixed(0)}× faster than the slowest, ${g.slowest}`;
}

/** A duration as the notices and logs write it: "1.5 s", "23 ms", "4.2 ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}
