// Step schedules (pure numbers, no tensors): the Zhu & Gupta cubic density ramp
// d(t) = d_f + (d_i − d_f)·(1 − u)^power, u = clamp((t − t0)/(t1 − t0), 0, 1), held
// constant between updates every `every` steps; a cosine decay from `from` to `to`
// (GraNet regrowth rate r0 → 0, BYOL EMA momentum m0 → 1); and the conversion of
// schedules given in fractions of a run into step numbers.

import { checkFinite, checkInteger, checkUnit, fail } from './validate';

export interface UpdateWindow {
  /** First update step t0. */
  start: number;
  /** Last update step t1 (≥ start). */
  end: number;
  /** Steps between updates (integer ≥ 1). */
  every: number;
}

export interface CubicSchedule extends UpdateWindow {
  /** Density (or N:M group fraction) before `start`. */
  initial: number;
  /** Density at and after `end`. */
  final: number;
  /** Exponent of (1 − u); 3 for Zhu & Gupta. */
  power?: number;
}

export interface CosineSchedule {
  from: number;
  to: number;
  /** Step at which the decay starts (default 0); `from` before it. */
  start?: number;
  /** Step at which `to` is reached; `to` from then on. */
  end: number;
}

function checkWindow(fn: string, w: UpdateWindow): void {
  checkInteger(fn, 'start', w.start, 0);
  checkInteger(fn, 'end', w.end, 0);
  checkInteger(fn, 'every', w.every, 1);
  if (w.end < w.start) fail(fn, `end must be ≥ start (got start=${w.start}, end=${w.end})`);
}

function checkStep(fn: string, step: number): void {
  if (typeof step !== 'number' || !Number.isFinite(step)) {
    fail(fn, `step must be a finite number (got step=${String(step)})`);
  }
}

/**
 * Cubic (power) ramp of Zhu & Gupta, piecewise constant between updates: for
 * start ≤ t < end the value is that of t0 + floor((t − t0)/every)·every; `initial`
 * before start, `final` at and after end. Works in either direction (a density falling
 * from 1, or an N:M fraction rising to 1).
 */
export function cubicDensity(step: number, s: CubicSchedule): number {
  const fn = 'cubicDensity';
  checkStep(fn, step);
  checkWindow(fn, s);
  checkUnit(fn, 'initial', s.initial);
  checkUnit(fn, 'final', s.final);
  const power = s.power ?? 3;
  if (!Number.isFinite(power) || power <= 0) fail(fn, `power must be a positive number (got power=${String(power)})`);
  if (step < s.start) return s.initial;
  if (step >= s.end) return s.final;
  const t = s.start + Math.floor((step - s.start) / s.every) * s.every;
  const u = Math.min(1, Math.max(0, (t - s.start) / (s.end - s.start)));
  return s.final + (s.initial - s.final) * Math.pow(1 - u, power);
}

/** True at start, every `every` steps within [start, end], and at end. */
export function isUpdateStep(step: number, w: UpdateWindow): boolean {
  checkStep('isUpdateStep', step);
  checkWindow('isUpdateStep', w);
  if (!Number.isInteger(step) || step < w.start || step > w.end) return false;
  return step === w.end || (step - w.start) % w.every === 0;
}

/**
 * Cosine decay: `from` up to start, to + (from − to)·(1 + cos(π·u))/2 with
 * u = (t − start)/(end − start) in between, `to` at and after end.
 * BYOL momentum: cosineDecay(t, {from: m0, to: 1, end: T}) = 1 − (1 − m0)(cos(πt/T) + 1)/2.
 */
export function cosineDecay(step: number, s: CosineSchedule): number {
  const fn = 'cosineDecay';
  checkStep(fn, step);
  checkFinite(fn, 'from', s.from);
  checkFinite(fn, 'to', s.to);
  const start = s.start ?? 0;
  checkFinite(fn, 'start', start);
  checkFinite(fn, 'end', s.end);
  if (s.end < start) fail(fn, `end must be ≥ start (got start=${start}, end=${s.end})`);
  if (step <= start) return step < start || s.end > start ? s.from : s.to;
  if (step >= s.end) return s.to;
  const u = (step - start) / (s.end - start);
  return s.to + (s.from - s.to) * 0.5 * (1 + Math.cos(Math.PI * u));
}

export interface FractionWindow {
  /** Fraction of the run at which the schedule starts, in [0, 1]. */
  startFraction: number;
  /** Fraction of the run at which it ends, in [startFraction, 1]. */
  endFraction: number;
  /** Spacing of updates as a fraction of the run, in [0, 1]; default 0 (every step). */
  everyFraction?: number;
}

/**
 * Convert a schedule window given in fractions of a run of `totalSteps` into step
 * numbers: start = round(startFraction·T), end = round(endFraction·T),
 * every = max(1, round(everyFraction·T)), start and end at most T − 1 — the last step a
 * run trains (steps are numbered 0…T − 1), so a window that ends with the run still
 * reaches its final value. A shorter run still runs the whole schedule.
 */
export function stepsFromFractions(w: FractionWindow, totalSteps: number): UpdateWindow {
  const fn = 'stepsFromFractions';
  checkInteger(fn, 'totalSteps', totalSteps, 0);
  checkUnit(fn, 'startFraction', w.startFraction);
  checkUnit(fn, 'endFraction', w.endFraction);
  const everyFraction = w.everyFraction ?? 0;
  checkUnit(fn, 'everyFraction', everyFraction);
  if (w.endFraction < w.startFraction) {
    fail(fn, `endFraction must be ≥ startFraction (got startFraction=${w.startFraction}, endFraction=${w.endFraction})`);
  }
  const last = Math.max(0, totalSteps - 1);
  return {
    start: Math.min(last, Math.round(w.startFraction * totalSteps)),
    end: Math.min(last, Math.round(w.endFraction * totalSteps)),
    every: Math.max(1, Math.round(everyFraction * totalSteps)),
  };
}
