// The configured schedules as chart points, before and during a run (pure; the plan comes
// from the engine's scheduleOf, the same one the plugins run, which has no tfjs import).
import type { Config } from '../../engine/config';
import { nmDensity, previewSteps, scheduleOf } from '../../engine/sparsity/scheduleOf';

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
 * `which`: the SyncCP or the CDG schedule (default: SyncCP when it is on, else CDG).
 */
export function schedulePoints(config: Config, max = 200, which?: 'syncp' | 'cdg'): ScheduleSeries | undefined {
  const T = config.steps;
  const plan = scheduleOf(config);
  const method = which ?? (plan.syncp ? 'syncp' : 'cdg');
  const window = method === 'syncp' ? plan.syncp?.window : plan.cdg?.window;
  if (!window) return undefined;
  const sorted = previewSteps(window, T, max);
  if (method === 'cdg') return { kind: 'gate', window, points: sorted.map((t) => ({ step: t, online: plan.cdg!.at(t) })) };
  const sp = plan.syncp!;
  return { kind: sp.kind, window, points: sorted.map((t) => ({ step: t, ...sp.at(t) })) };
}

/**
 * Schedule points on the step axis of the other panels, which count completed steps: the
 * plan of (0-based) step s, applied as that step runs, is what row s + 1 shows. Row 0 (no
 * step yet) holds the plan's start; the line still reaches the last step (the point the
 * preview puts there is held to it, not shifted past it and lost).
 */
export function asCompletedSteps(points: readonly SchedulePoint[], totalSteps: number): SchedulePoint[] {
  const shifted = points.map((p) => ({ ...p, step: p.step + 1 })).filter((p) => p.step <= totalSteps);
  const out = points.length && points[0].step === 0 ? [{ ...points[0] }, ...shifted] : shifted;
  const last = out.at(-1);
  if (last && last.step < totalSteps) out.push({ ...points[points.length - 1], step: totalSteps });
  return out;
}

/**
 * Planned weight density over the network when a fraction p of the N:M groups is N:M:
 * with the prunable layers' shapes, their tail channels (C_in mod M) stay dense as the
 * engine keeps them; without shapes (before the first snapshot), no tail is assumed.
 */
export function nmPlannedDensity(p: number, n: number, m: number, shapes?: readonly (readonly number[])[]): number {
  if (!shapes?.length) return 1 - (p * (m - n)) / m;
  let kept = 0;
  let all = 0;
  for (const s of shapes) {
    const size = s.reduce((a, b) => a * b, 1);
    kept += nmDensity(s, n, m, p) * size;
    all += size;
  }
  return kept / all;
}

/**
 * Chart rows over the whole run: the planned schedule as weight density (`plannedOnline`,
 * `plannedTarget`) at its update steps, merged with measured rows (same step → one row).
 * `completedSteps` places the plan as asCompletedSteps does: that of (0-based) step s at
 * s + 1, where the progress row of that step sits (rows count completed steps), and never
 * past the last step.
 */
export function withPlanned(config: Config, measured: readonly Record<string, number>[], completedSteps = false, shapes?: readonly (readonly number[])[]): Record<string, number>[] {
  const s = schedulePoints(config, 200, 'syncp');
  const byStep = new Map<number, Record<string, number>>();
  const points = s ? (completedSteps ? asCompletedSteps(s.points, config.steps) : s.points) : [];
  for (const p of points) {
    const conv = (v: number | undefined) => (v === undefined ? undefined : s!.kind === 'nmFraction' ? nmPlannedDensity(v, config.syncp!.n, config.syncp!.m, shapes) : v);
    const row: Record<string, number> = { step: p.step, plannedOnline: conv(p.online)! };
    const t = conv(p.target);
    if (t !== undefined) row.plannedTarget = t;
    byStep.set(p.step, row);
  }
  for (const m of measured) byStep.set(m.step, { ...(byStep.get(m.step) ?? {}), ...m });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
