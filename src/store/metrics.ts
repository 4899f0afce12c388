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

/** Stable selector for throttled subscriptions. */
export const selectRows = (s: MetricsState): ProgressRow[] => s.rows;
