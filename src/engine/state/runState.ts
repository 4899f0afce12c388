// A run's whole state as one typed, structured-cloneable value: what autosave keeps in
// IndexedDB, what export writes (weights.bin + run.json) and what resume restores.
// Restoring it into a freshly built trainer of the same config makes the next steps
// identical to an uninterrupted run's: the data sampler and the augmentations are
// functions of (seed, step), so the step is their whole stream position.
import type { Config } from '../config';
import type { Baselines, MetricsRow } from '../runFile';
import type { StateArray } from './stateArray';

export const TRAINER_STATE_VERSION = 1;

export interface TrainerState {
  version: number;
  config: Config;
  /** Steps taken: the position of the seeded batch sampler and augmentation stream. */
  step: number;
  /** Peak learning rate (differs from config.optim.lr only if changed without the config). */
  peakLr: number;
  /** AdamW's step count (bias correction). */
  optimizerSteps: number;
  /**
   * Tensors by name: `online.var.*`, `online.stat.*.mean|variance`, `target.*` (BYOL),
   * `adam.m.*`, `adam.v.*`, `predictor.corr` (a set predictor's F), `<plugin>.var.*` (e.g. CDG's learned Δ), `<plugin>.state.*`
   * (e.g. SyncCP masks and score EMAs).
   */
  arrays: Record<string, StateArray>;
  /** Each plugin's JSON-able bookkeeping, by plugin name. */
  plugins: Record<string, unknown>;
}

/** A session: the trainer plus what the run logged and is read against. */
export interface SessionState {
  trainer: TrainerState;
  history: MetricsRow[];
  baselines?: Baselines;
}
