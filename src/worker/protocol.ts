// The typed message protocol between the page and the trainer Worker. Plain
// postMessage with discriminated unions (not Comlink): the worker streams progress on
// its own schedule, which is an event stream rather than request/response.
import type { BackendName, BackendReport } from '../engine/backend';
import type { Calibration } from '../engine/backendChoice';
import type { Config } from '../engine/config';
import type { OwnFile } from '../engine/data/ownData';
import type { Baselines, MaskUpdate, RunFile, StepRow } from '../engine/runFile';
import type { NMPatternGrid } from '../engine/viz/nmPatterns';
import type { CDGSnapshot } from '../engine/sparsity/cdg';
import type { SyncCPSnapshot } from '../engine/viz/syncpPanel';

/**
 * Page → worker. Every message is handled in order, one at a time (see commandQueue.ts).
 * `gen` is the generation of the run a message is meant for: a build (init, configure,
 * reset) names the generation it creates; a run command names the generation the page
 * last asked to build. A command whose generation is not the live run's is answered
 * (`ignored`), never executed on another run.
 */
export type Request =
  /**
   * Pick the backend and build the first run. Sent once per worker. With `auto`, the
   * backends in `order` are timed and the fastest is used (a cached calibration of the
   * same device is reused); without it, `order` is a fallback chain.
   */
  | { type: 'init'; gen: number; order: BackendName[]; auto?: { cached?: Calibration }; config: Config; assetBase: string; options?: WorkerOptions }
  /** Replace the run's config: a fresh run at step 0 (datasets are reused when unchanged). */
  | { type: 'configure'; gen: number; config: Config }
  /** Back to step 0 with fresh weights from the seed. */
  /** `config`: the settings the page shows (a config message the page dropped as stale would otherwise differ); absent: the worker's. */
  | { type: 'reset'; gen: number; config?: Config }
  | { type: 'start'; gen: number }
  /** Stop after the step in progress. */
  | { type: 'pause'; gen: number }
  /** Exactly one training step; ignored (and answered) while running. */
  | { type: 'step'; gen: number }
  /** After a divergence: scale the learning rate by `factor` and train on from the last good step. */
  | { type: 'continue'; gen: number; factor: number }
  /** Ask for run.zip of the current run (answered by `exported`, or `ignored`). */
  | { type: 'export'; gen: number }
  /**
   * Make a saved run the live one as generation `gen`: the autosaved run, or an imported
   * run.zip. Answered by ready, progress (its rows), snapshot and `restored`; when the state
   * does not fit, by an error of kind 'import' and the run that was live goes on, now as
   * generation `gen` (with none live, a failed build's, an error of kind 'config' comes first).
   */
  | { type: 'restore'; gen: number; source: RestoreSource }
  /** Show this prunable layer in detail (SyncCP mask heatmap, N:M grid); answered by a snapshot. */
  | { type: 'select-layer'; gen: number; layer: string }
  /** Time a few steps of the run's dense counterpart on this device; answered by `dense-timing`. */
  | { type: 'measure-dense'; gen: number }
  /** A person's own images (class folders, a zip, CIFAR-10 .bin): answered by `data-loaded` or an error of kind 'data'. */
  | { type: 'load-data'; gen: number; files: OwnFile[]; size: number };

export type RequestType = Request['type'];

/**
 * An import is sent as the file's bytes (transferred, not copied): the worker inflates the
 * weights and images and checks them, and the replay (parseReplay), as it does an autosave's.
 */
/** `savedAt`: the autosave the page offered; a save made since (this tab's new run, another tab) is not restored in its place. */
export type RestoreSource = { kind: 'autosave'; savedAt?: string } | { kind: 'import'; name: string; bytes: Uint8Array };

/** `assetBase`: absolute URL that shipped files (data/…) are relative to — the app's base, not the worker's. */
export interface WorkerOptions {
  /** tfjs' WEBGPU_CPU_FORWARD (small tensors on the CPU); default: tfjs' own default. */
  webgpuCpuForward?: boolean;
}

export interface DatasetInfo {
  name: string;
  classNames: string[];
  trainCount: number;
  testCount: number;
  height: number;
  width: number;
  channels: number;
  /** Side of the images the network sees. */
  imageSize: number;
  /** Own data: where it came from ('own images', 'CIFAR-10 (own files)'). */
  source?: string;
  /** Classes with training images only, and with held-out images only (own train/test folders that do not match). */
  trainOnly: string[];
  testOnly: string[];
}

/**
 * One step's numbers as the page plots them: the step's logged row (runFile.ts
 * MetricsRowSchema; `update` set by the worker on the first row after a SyncCP mask update)
 * and the tensors alive in the worker after it: flat over steps unless something leaks.
 */
export type ProgressRow = StepRow & { tensors: number };

export type { MaskUpdate };

/** Training FLOPs of one step per layer (all branches) at the snapshot's step. */
export interface FlopsBreakdown {
  layers: { name: string; dense: number; effective: number }[];
  dense: number;
  effective: number;
}

/** An image as RGBA bytes, ready for ImageData. */
export interface PreviewImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  label?: string;
}

export interface Snapshot {
  step: number;
  /** A few training images as stored. */
  samples: PreviewImage[];
  /** The two augmented views of samples[0] at this step, as the network sees them. */
  views: [PreviewImage, PreviewImage];
  /** Each method's panel data, for the sparsity panels (typed: the `kind` of each is its key). */
  plugins: { syncp?: SyncCPSnapshot; cdg?: CDGSnapshot };
  /** Per-layer training FLOPs of one step with the densities last read back. */
  flops?: FlopsBreakdown;
  /** SyncCP with N:M granularity: the selected layer's pattern grids. */
  nm?: { layer: string; online: NMPatternGrid; target: NMPatternGrid };
}

export type RunPhase = 'idle' | 'running' | 'stepping' | 'done';

export interface OwnDataInfo {
  source: string;
  classNames: string[];
  trainCount: number;
  testCount: number;
  /** Side of the stored images. */
  size: number;
  /** Files left out because they could not be decoded. */
  skipped: string[];
  /** Classes in one split only (classesInOneSplit). */
  trainOnly: string[];
  testOnly: string[];
}

export type ErrorKind =
  /** Own data was refused (the message says what was expected); the run is untouched. */
  | 'data'
  /** A saved or imported run could not be restored (the message says why); the run is untouched. */
  | 'import'

  /** The run could not be saved in the browser (storage full or refused): training goes on. */
  | 'autosave'
  /** The config could not build a run (e.g. a method not in this build). */
  | 'config'
  /** Loss became non-finite; the run stays at the last good step. */
  | 'diverged'
  /** A step failed for another reason and was undone: the run is as it was after step `kept`, and can go on. */
  | 'step-failed'
  /** The GPU device was lost: the worker must be restarted. */
  | 'device-lost'
  /** Anything else; restart the worker. */
  | 'fatal';

/** Worker → page. `gen`: the run generation the message is about (see Request). */
export type Response =
  | { type: 'backend'; report: BackendReport }
  /** Run `gen` was (re)built at step 0; `tensors`: tf.memory().numTensors right after. */
  /** `warm`: the run object has trained a step (its programs are compiled): a live run announced again. */
  | { type: 'ready'; gen: number; config: Config; dataset: DatasetInfo; flops: { dense: number; effective: number }; tensors: number; warm?: boolean }
  | { type: 'phase'; gen: number; phase: RunPhase; step: number }
  /** kNN of run `gen`'s untrained network and on raw pixels, measured right after it was built. */
  | { type: 'baselines'; gen: number; baselines: Baselines }
  /** Rows since the last progress message, and the current rate over recent steps. */
  /** `timedSteps`: how many of the last steps (up to 10) the worker has timed for the measured line since the run was built or restored (the first, a warm-up, is not timed); the line needs one. */
  /** `replay`: rows the run had (announced again, or restored), not steps trained now. */
  | { type: 'progress'; gen: number; rows: ProgressRow[]; stepsPerSecond: number; timedSteps: number; replay?: boolean }
  | { type: 'snapshot'; gen: number; snapshot: Snapshot }
  /** `kept`: after a divergence, the step the run is back at (its rows and snapshots after it are gone). */
  | { type: 'error'; gen?: number; kind: Exclude<ErrorKind, 'autosave'>; message: string; step?: number; kept?: number; /** A divergence: rolled back past an applied update. */ rolledBack?: boolean; what?: string }
  /**
   * A save of run `gen` failed: the page drops it once it has replaced that run, as it does
   * the run's other messages. null: it is about the loaded images, not one run (they are
   * not tried again, so a later run on them would never say it), and is always shown.
   */
  | { type: 'error'; gen: number | null; kind: 'autosave'; message: string }
  /** run.json of the run, and run.zip (that run.json with the trainer state, model.json and weights.bin). */
  | { type: 'exported'; gen: number; run: RunFile; bundle: Uint8Array }
  /** The run's recent step time against its dense counterpart's, both measured on this device at `step`; `counted`: effective ÷ dense FLOPs of the run's last step. */
  | { type: 'dense-timing'; gen: number; step: number; runMs: number; denseMs: number; counted: number }
  /** Run `gen` is a restored one (sent after its ready, rows and snapshot), at `step`. */
  | { type: 'restored'; gen: number; source: RestoreSource['kind']; name?: string; config: Config; step: number }
  /** The run's config changed in place (e.g. a lower learning rate after a divergence); the run goes on. */
  | { type: 'config'; gen: number; config: Config }
  /** Own data was read; a run with data.name 'own' now trains on it. */
  | { type: 'data-loaded'; info: OwnDataInfo }
  /** A command that was not executed, and why (superseded run, no run, already running…). */
  | { type: 'ignored'; gen: number; command: RequestType; reason: string };

/** How a Measure against dense refused for want of timed steps begins (the page drops that note once steps are timed). */
export const TOO_FEW_TIMED = 'train two steps first';
