// Run state as the worker reports it: backend, phase, step, rate, last numbers, errors.
import { create } from 'zustand';
import type { BackendReport } from '../engine/backend';
import type { Config } from '../engine/config';
import type { Baselines } from '../engine/runFile';
import type { DatasetInfo, ErrorKind, OwnDataInfo, RunPhase, Snapshot } from '../worker/protocol';
import type { SavedRunMeta } from '../worker/savedRun';

export type WorkerStatus = 'starting' | 'ready' | 'crashed';

export interface RunError {
  kind: ErrorKind | 'crash' | 'import' | 'export';
  message: string;
  step?: number;
  /** A divergence: the step the run is back at. */
  kept?: number;
  /** A divergence rolled back past an applied update (a lower rate can get past it). */
  rolledBack?: boolean;
  /** A divergence: what was not finite, when not the loss. */
  what?: string;
}

export interface RunState {
  worker: WorkerStatus;
  /** True while the worker (re)builds a run; a Start pressed meanwhile starts it once built. */
  building: boolean;
  /** A command sent and not yet answered by the worker (its button shows it is working). */
  pending?: 'start' | 'pause' | 'step';
  /** A run exists in the worker (false when its config could not be built). */
  hasRun: boolean;
  phase: RunPhase;
  step: number;
  stepsPerSecond: number;
  loss?: number;
  knn?: number;
  flops?: { dense: number; effective: number };
  /** Live tensors in the worker after the last step (a leak shows as growth). */
  tensors?: number;
  /** Live tensors right after the run was built: the level a reset of the same run returns to. */
  readyTensors?: number;
  backend?: BackendReport;
  dataset?: DatasetInfo;
  config?: Config;
  snapshot?: Snapshot;
  /** Own data the worker holds (uploaded in the Data panel). */
  ownData?: OwnDataInfo;
  /** True while the worker reads uploaded files. */
  loadingData?: boolean;
  /** kNN of this run's network before training and on raw pixels (measured right after the build). */
  baselines?: Baselines;
  /** This run's step time against its dense counterpart's on this device (the FLOPs panel's measured line). */
  denseTiming?: { step: number; runMs: number; denseMs: number; counted: number };
  /** Steps (of the last 10) the worker has timed for this run since it was built or restored (the measured line needs one). */
  timedSteps?: number;
  /** A dense timing asked for and not yet answered. */
  measuringDense?: boolean;
  /** Why the last dense timing was not made (e.g. no step trained yet). */
  denseTimingNote?: string;
  error?: RunError;
  /**
   * The run object has not trained a step since the worker built or restored it: its first
   * step compiles the programs (shaders), also for a run resumed at step 120.
   */
  firstStepPending?: boolean;
  /** An autosaved run this page can resume (offered after a reload, a crash or a closed tab). */
  resumable?: SavedRunMeta;
  /** A restore (resume or import) sent and not yet answered. */
  restoring?: { kind: 'autosave' | 'import'; name: string };
}

export const useRun = create<RunState>(() => ({
  worker: 'starting',
  building: true,
  hasRun: false,
  phase: 'idle',
  step: 0,
  stepsPerSecond: 0,
}));
