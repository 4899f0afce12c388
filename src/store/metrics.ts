// Metrics history of the current run (and of an imported run, shown alongside).
import { create } from 'zustand';
import type { ProgressRow } from '../worker/protocol';

export interface HistoryPoint {
  step: number;
  loss?: number;
  knn?: number;
}

export interface MetricsState {
  rows: ProgressRow[];
  imported?: { name: string; points: HistoryPoint[] };
}

export const useMetrics = create<MetricsState>(() => ({ rows: [] }));

/** At most `max` points, evenly strided, always keeping the last: charts stay cheap on long runs. */
export function downsample<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const stride = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(xs[Math.floor(i * stride)]);
  out.push(xs[xs.length - 1]);
  return out;
}

/** Stable selector for throttled subscriptions. */
export const selectRows = (s: MetricsState): ProgressRow[] => s.rows;
