// The configured schedules as chart points, before and during a run (pure; uses the
// engine's schedule functions, which have no tfjs import).
import type { Config } from '../../engine/config';
import { cubicDensity, stepsFromFractions } from '../../engine/sparsity/schedule';

export type ScheduleKind = 'density' | 'nmFraction' | 'gate';

export interface SchedulePoint {
  step: number;
  /** Online-branch density (syncp), fraction of N:M groups p (nm), or gate density (cdg). */
  online: number;
  /** Target-branch value (syncp); undefined for cdg (one density over both branches). */
  target?: number;
}

export interface ScheduleSeries {
  kind: ScheduleKind;
  points: SchedulePoint[];
  /** Steps at which masks / gate densities change. */
  window: { start: number; end: number; every: number };
}

/**
 * Points of the schedule at every update step (plus 0 and the last step), at most about
 * `max` of them; the chart draws them as a step function (value held until the next).
 */
export function schedulePoints(config: Config, max = 200): ScheduleSeries | undefined {
  const T = config.steps;
  const s = config.syncp ?? config.cdg;
  if (!s) return undefined;
  const window = stepsFromFractions({ startFraction: s.schedule.start, endFraction: s.schedule.end, everyFraction: s.schedule.every }, T);
  const steps = new Set<number>([0, T]);
  const updates = Math.floor((window.end - window.start) / window.every) + 1;
  const stride = Math.max(1, Math.ceil(updates / max));
  for (let i = 0; i < updates; i += stride) steps.add(window.start + i * window.every);
  steps.add(window.end);
  const sorted = [...steps].filter((x) => x >= 0 && x <= T).sort((a, b) => a - b);
  let kind: ScheduleKind;
  let value: (t: number) => SchedulePoint;
  if (config.cdg) {
    const d = config.cdg.density;
    kind = 'gate';
    value = (t) => ({ step: t, online: cubicDensity(t, { ...window, initial: 1, final: d }) });
  } else if (config.syncp!.granularity === 'nm') {
    const g = config.syncp!.gap;
    kind = 'nmFraction';
    value = (t) => {
      const p = cubicDensity(t, { ...window, initial: 0, final: 1 });
      return { step: t, online: p, target: Math.max(0, p - g) };
    };
  } else {
    const { density, gap } = config.syncp!;
    kind = 'density';
    value = (t) => {
      const d = cubicDensity(t, { ...window, initial: 1, final: density });
      return { step: t, online: d, target: Math.min(1, d + gap) };
    };
  }
  return { kind, points: sorted.map(value), window };
}

/** Planned weight density of an N:M layer with no tail when a fraction p of its groups is N:M. */
export function nmPlannedDensity(p: number, n: number, m: number): number {
  return 1 - (p * (m - n)) / m;
}

/**
 * Chart rows over the whole run: the planned schedule as weight density (`plannedOnline`,
 * `plannedTarget`) at its update steps, merged with measured rows (same step → one row).
 * `offset` 1 places the plan of (0-based) step s at s + 1, where the progress row of that
 * step sits (rows count completed steps).
 */
export function withPlanned(config: Config, measured: readonly Record<string, number>[], offset = 0): Record<string, number>[] {
  const s = schedulePoints(config);
  const byStep = new Map<number, Record<string, number>>();
  for (const p of s?.points ?? []) {
    const conv = (v: number | undefined) => (v === undefined ? undefined : s!.kind === 'nmFraction' ? nmPlannedDensity(v, config.syncp!.n, config.syncp!.m) : v);
    const row: Record<string, number> = { step: p.step + offset, plannedOnline: conv(p.online)! };
    const t = conv(p.target);
    if (t !== undefined) row.plannedTarget = t;
    byStep.set(p.step + offset, row);
  }
  for (const m of measured) byStep.set(m.step, { ...(byStep.get(m.step) ?? {}), ...m });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
