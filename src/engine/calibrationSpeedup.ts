// How much faster the measured choice is than the slowest backend timed, and how a timing
// reads: what the calibration notice (page) and the CLI's log both state. tfjs-free, so the
// page can import it.
import type { BackendName } from './backend';
import type { BackendTiming, Calibration } from './backendChoice';

/** Why a speed-up is only a lower bound: the slowest was cut off, or timed on a lighter workload than the others. */
export type LowerBound = 'cut off' | 'lighter';

/**
 * How much faster the chosen backend is than the slowest one timed, where that is worth
 * saying (> 1.5×). A backend cut off at the deadline took longer than its `overMs`, and one
 * timed on the lighter two-conv workload would take longer on the encoder, so against
 * either the factor is a lower bound.
 */
export function speedupOverSlowest(c: Pick<Calibration, 'timings' | 'chosen'>): { factor: number; slowest: BackendName; atLeast?: LowerBound } | undefined {
  const chosen = c.timings.find((t) => t.backend === c.chosen)?.ms;
  if (!chosen) return undefined;
  let slowest: BackendTiming | undefined;
  let slowestMs = 0;
  for (const t of c.timings) {
    // A warm-up cut off bounds shader compilation, not a step: no factor is claimed from it.
    const ms = t.ms ?? (t.cutInWarmUp ? 0 : t.overMs) ?? 0;
    if (ms > slowestMs) [slowest, slowestMs] = [t, ms];
  }
  if (!slowest || slowestMs <= 1.5 * chosen) return undefined;
  const atLeast: LowerBound | undefined = slowest.ms === null ? 'cut off' : slowest.lighter ? 'lighter' : undefined;
  return { factor: slowestMs / chosen, slowest: slowest.backend, ...(atLeast ? { atLeast } : {}) };
}

/**
 * A factor as the notice writes it: one decimal under 10× (1.5×, not "2×" for 1.51), whole
 * above; a lower bound is rounded down (1.6 is "at least 1.6×", 64.6 "at least 64×"), never up.
 */
export function factorText(factor: number, lowerBound: boolean): string {
  const digits = factor < 10 ? 1 : 0;
  const scale = 10 ** digits;
  const v = (lowerBound ? Math.floor(factor * scale + 1e-9) : Math.round(factor * scale)) / scale;
  return v.toFixed(digits).replace(/\.0$/, '');
}

/** "26× faster than the slowest, webgpu", "at least 65× faster than webgl, which was cut off" or "…, timed on a lighter workload". */
export function describeSpeedup(g: { factor: number; slowest: BackendName; atLeast?: LowerBound }): string {
  const factor = factorText(g.factor, g.atLeast !== undefined);
  if (g.atLeast === 'cut off') return `at least ${factor}× faster than ${g.slowest}, which was cut off`;
  if (g.atLeast === 'lighter') return `at least ${factor}× faster than ${g.slowest}, timed on a lighter workload`;
  return `${factor}× faster than the slowest, ${g.slowest}`;
}

/** What a timing's figure stands for when it is not the run's encoder (a software WebGL's lighter workload). */
export const LIGHTER_WORKLOAD_NOTE = 'two convolutions and a dense layer, lighter than the encoder, to fit the time budget: a lower bound';

/** A duration as the notices and logs write it: "1.5 s", "23 ms", "4.2 ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}
