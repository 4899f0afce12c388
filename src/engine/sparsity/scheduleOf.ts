// The planned schedules of a config, in one place: the SyncCP plugin, the CDG plugin and
// the panels (schedule preview, planned density lines) all read them from here, so the
// plan drawn is the plan run. Pure: no tfjs, so the page can import it.
import type { Config } from '../config';
import { cubicDensity, stepsFromFractions, type UpdateWindow } from './schedule';
import { keptCount } from './validate';

export interface BranchPair {
  online: number;
  target: number;
}

export interface SyncCPPlan {
  /** 'density': fraction of weights (or channels) kept; 'nmFraction': fraction p of full groups that are N:M. */
  kind: 'density' | 'nmFraction';
  window: UpdateWindow;
  /** The schedule's value for each branch role at `step`. */
  at(step: number): BranchPair;
}

export interface CDGPlan {
  window: UpdateWindow;
  /** Target gate density of the conditional path (both branches together) at `step`. */
  at(step: number): number;
}

export interface RunSchedule {
  syncp?: SyncCPPlan;
  cdg?: CDGPlan;
}

export function scheduleOf(config: Config): RunSchedule {
  const T = config.steps;
  const out: RunSchedule = {};
  const sp = config.syncp;
  if (sp) {
    const window = stepsFromFractions({ startFraction: sp.schedule.start, endFraction: sp.schedule.end, everyFraction: sp.schedule.every }, T);
    out.syncp =
      sp.granularity === 'nm'
        ? {
            kind: 'nmFraction',
            window,
            at: (step) => {
              const p = cubicDensity(step, { ...window, initial: 0, final: sp.nmFinal });
              return { online: p, target: Math.max(0, p - sp.gap) };
            },
          }
        : {
            kind: 'density',
            window,
            at: (step) => {
              const d = cubicDensity(step, { ...window, initial: 1, final: sp.density });
              return { online: d, target: Math.min(1, d + sp.gap) };
            },
          };
  }
  const cdg = config.cdg;
  if (cdg) {
    const window = stepsFromFractions({ startFraction: cdg.schedule.start, endFraction: cdg.schedule.end, everyFraction: cdg.schedule.every }, T);
    out.cdg = { window, at: (step) => cubicDensity(step, { ...window, initial: 1, final: cdg.density }) };
  }
  return out;
}

/**
 * Weight density of an N:M kernel [kh, kw, C_in, C_out] when a fraction p of its full
 * groups is N:M and the rest (and the tail channels, C_in mod M) stay dense.
 */
export function nmDensity(shape: readonly number[], n: number, m: number, p: number): number {
  const [kh, kw, cIn, cOut] = shape;
  const size = kh * kw * cIn * cOut;
  const groups = kh * kw * cOut * Math.floor(cIn / m);
  return 1 - (keptCount(p, groups) * (m - n)) / size;
}
