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
  /** The value before the first update (the reference's initial density d_i; dense by default). */
  initial: BranchPair;
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
    // N:M: the fraction p of N:M groups ramps from 1 − d_i (0 by default; the reference's
    // 'probability' starts there too) to nmFinal; the target has g fewer.
    const nm = sp.granularity === 'nm';
    const from = nm ? 1 - sp.initialDensity : sp.initialDensity;
    const to = nm ? sp.nmFinal : sp.density;
    const pair = (v: number): BranchPair => (nm ? { online: v, target: Math.max(0, v - sp.gap) } : { online: v, target: Math.min(1, v + sp.gap) });
    out.syncp = {
      kind: nm ? 'nmFraction' : 'density',
      window,
      initial: pair(from),
      at: (step) => pair(cubicDensity(step, { ...window, initial: from, final: to })),
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

/**
 * The steps at which a schedule is drawn: 0, every update step of the window (at most
 * about `max`, evenly thinned), the window's end and the run's end. The chart draws the
 * values there as a step function.
 */
export function previewSteps(window: UpdateWindow, totalSteps: number, max = 256): number[] {
  const steps = new Set<number>([0, totalSteps, window.end]);
  const updates = Math.floor((window.end - window.start) / window.every) + 1;
  const stride = Math.max(1, Math.ceil(updates / max));
  for (let i = 0; i < updates; i += stride) steps.add(window.start + i * window.every);
  return [...steps].filter((x) => x >= 0 && x <= totalSteps).sort((a, b) => a - b);
}
