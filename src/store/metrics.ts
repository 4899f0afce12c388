// Metrics history of the current run, and the reference runs drawn beside it: runs the
// user pinned, and an imported run.json.
import { create } from 'zustand';
import { flopsOverSteps, type MetricsRow } from '../engine/runFile';
import type { ProgressRow } from '../worker/protocol';

export interface HistoryPoint {
  step: number;
  loss?: number;
  knn?: number;
  /** Mean online weight density over the prunable layers (SyncCP runs). */
  density?: number;
  /** Mean gate density over gated layers and both branches (CDG runs). */
  gate?: number;
  /** Effective / dense training FLOPs of the step. */
  flopsRatio?: number;
  /** Fraction of the dense training FLOPs saved from the first row through this one. */
  saving?: number;
}

export interface ReferenceRun {
  id: number;
  /** Its colour's index: the lowest not taken by the runs shown beside it (ids only grow). */
  slot: number;
  /** Shown in chart legends, e.g. "syncp-2of4 · step 300" or "run.json". */
  name: string;
  kind: 'pinned' | 'imported';
  points: HistoryPoint[];
}

export interface MetricsState {
  rows: ProgressRow[];
  references: ReferenceRun[];
}

export const useMetrics = create<MetricsState>(() => ({ rows: [], references: [] }));

/** Stable selectors for throttled subscriptions. */
export const selectRows = (s: MetricsState): ProgressRow[] => s.rows;
export const selectReferences = (s: MetricsState): ReferenceRun[] => s.references;

/** At most this many reference runs at once (the oldest pinned one goes first). */
export const MAX_REFERENCES = 4;
/** Points kept per reference run: enough for its curves. */
const MAX_POINTS = 300;

const mean = (xs: number[]): number | undefined => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

/** A row (live or from run.json) as the few numbers a comparison draws. */
export function historyPoint(r: Pick<MetricsRow, 'step' | 'loss' | 'knn' | 'flops' | 'density' | 'gateDensity'>): HistoryPoint {
  const p: HistoryPoint = { step: r.step };
  if (typeof r.loss === 'number') p.loss = r.loss;
  if (typeof r.knn === 'number') p.knn = r.knn;
  if (r.flops && r.flops.dense > 0) p.flopsRatio = r.flops.effective / r.flops.dense;
  const d = r.density ? mean(Object.values(r.density).map((v) => v.online)) : undefined;
  if (d !== undefined) p.density = d;
  const g = r.gateDensity ? mean(Object.values(r.gateDensity).flatMap((v) => [v.online, v.target])) : undefined;
  if (g !== undefined) p.gate = g;
  return p;
}

/** Rows as reference points: every kNN row kept, the others thinned to about MAX_POINTS. */
export function referencePoints(rows: readonly Parameters<typeof historyPoint>[0][]): HistoryPoint[] {
  const stride = Math.max(1, Math.ceil(rows.length / MAX_POINTS));
  const out: HistoryPoint[] = [];
  let dense = 0;
  let effective = 0;
  let prev = 0;
  rows.forEach((r, i) => {
    if (r.flops) {
      // A row stands for the steps since the one before it (thinned or logged every few
      // steps), as the live run's cumulative line (cumulativeFlops) weighs it.
      const f = flopsOverSteps(r.flops, Math.max(1, r.step - prev));
      prev = r.step;
      dense += f.dense;
      effective += f.effective;
    }
    if (!(i % stride === 0 || i === rows.length - 1 || typeof r.knn === 'number')) return;
    const p = historyPoint(r);
    if (dense > 0) p.saving = 1 - effective / dense;
    out.push(p);
  });
  return out;
}

/**
 * A pinned run's points: its rows, and, once it has a kNN measurement, the untrained
 * network's kNN at step 0 where the rows have none, as the live kNN curve starts (the
 * progress rows never carry step 0). A run pinned before its first kNN pass gets no kNN
 * series at all: the untrained figure alone says nothing of the run.
 */
export function pinnedPoints(rows: readonly Parameters<typeof historyPoint>[0][], untrainedKnn: number | undefined): HistoryPoint[] {
  const points = referencePoints(rows);
  const measured = points.some((p) => p.knn !== undefined);
  if (untrainedKnn !== undefined && measured && !points.some((p) => p.step === 0 && p.knn !== undefined)) {
    const first = points[0]?.step === 0 ? points.shift() : undefined;
    points.unshift({ ...first, step: 0, knn: untrainedKnn });
  }
  return points;
}

let nextId = 1;

/** Add a reference run; imported ones replace the previous import, pinned ones keep at most MAX_REFERENCES in all. */
export function addReference(name: string, kind: ReferenceRun['kind'], points: HistoryPoint[]): void {
  useMetrics.setState((s) => {
    const refs = s.references.filter((r) => kind === 'pinned' || r.kind !== 'imported');
    while (refs.length >= MAX_REFERENCES) {
      const i = refs.findIndex((r) => r.kind === 'pinned');
      refs.splice(i >= 0 ? i : 0, 1);
    }
    const taken = new Set(refs.map((r) => r.slot));
    let slot = 0;
    while (taken.has(slot)) slot++;
    return { references: [...refs, { id: nextId++, slot, name, kind, points }] };
  });
}

export function removeReference(id: number): void {
  useMetrics.setState((s) => ({ references: s.references.filter((r) => r.id !== id) }));
}
