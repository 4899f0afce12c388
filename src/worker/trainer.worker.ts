/// <reference lib="webworker" />
// The trainer Worker: owns the tfjs backend and the run, so the page never blocks while
// it trains. Steps run back to back while started; between steps the worker yields a
// task so pause/step/reset messages get through. Every message and every step goes
// through one CommandQueue (commandQueue.ts): handled in order, against the run it names.
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendReport } from '../engine/backend';
import { calibrationShape, chooseBackend, NAMED_START_MS } from '../engine/backendChoice';
import type { Config } from '../engine/config';
import { classesInOneSplit, loadDataset, OwnDataError, readOwnData, type Dataset } from '../engine/data';
import type { MetricsRow } from '../engine/runFile';
import { RunSession } from '../engine/session';
import { readRunUpload } from '../engine/state/bundle';
import { isWeightMaskSource, type WeightMaskSource } from '../engine/plugin';
import { timeDenseStep, timedAndCounted, type TimedStep } from '../engine/denseTiming';
import { DivergenceError, type Trainer } from '../engine/trainer';
import { CommandQueue, type RunHost } from './commandQueue';
import { HISTORY_LENGTH, MaskHistory } from '../engine/viz/maskPanel';
import { nmPatternGrid } from '../engine/viz/nmPatterns';
import { TOO_FEW_TIMED, type DatasetInfo, type MaskUpdate, type PreviewImage, type ProgressRow, type Request, type Response, type Snapshot } from './protocol';
import { pushDecimated } from '../ui/transforms/timeline';
import { capRows } from './progressRows';
import { StepRate } from './stepRate';
import { otherImages, ownImagesToWrite, parseReplay, readAutosave, readStoredImagesId, renumberUpdates, writeAutosave, type Replay, type SavedRun, type StoredImages } from './savedRun';
import { OwnImages } from './ownImages';
import { imageSideOrDefault } from '../engine/data/imageSide';
import { decodeImage } from './decodeImage';
import { datasetPrint } from '../engine/data/datasetPrint';
import { nameWasmAssets } from './wasmAssets';
import { watchBackendLoss } from './backendLoss';
import { StepFailedError } from './stepFailed';
import { inflatedByServer } from '../engine/data/servedGzip';

declare const self: DedicatedWorkerGlobalScope;

/** Progress is flushed at most this often while running (plus at every phase change). */
const PROGRESS_MS = 100;
/** Dataset preview and plugin snapshots while running: at most this often. */
const SNAPSHOT_MS = 3000;
const PREVIEW_SAMPLES = 6;
/**
 * Autosave to IndexedDB at most this often while training, and whenever the run stops
 * (pause, a single step, the end). The loop never waits on rAF or page visibility (it
 * yields through a MessageChannel), so a background tab keeps training and saving.
 */
const AUTOSAVE_MS = 5000;
/** Snapshots kept for a resumed run's timeline: as many as the page's scrubber keeps (store/timeline.ts). */
const REPLAY_SNAPSHOTS = 48;
const RATE_WINDOW = 10;

let report: BackendReport | undefined;
let assetBase = '';
let dataset: { key: string; data: Dataset } | undefined;
/** Raw-pixel kNN by dataset, image size and kNN settings: it does not depend on the network. */
const rawPixelKnn = new Map<string, number>();

function post(msg: Response, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

/** A macrotask without setTimeout's 4 ms clamp: lets queued messages arrive between steps. */
function yieldTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      // Closed, so a channel a step is not left open for the collector to find.
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

function fail(e: unknown, gen: number | undefined, step?: number): void {
  if (e instanceof DivergenceError) {
    const why = e.what ?? `loss ${e.loss}`;
    post({ type: 'error', gen, kind: 'diverged', message: `Training diverged at step ${e.step} (${why}). The run is back as it was after step ${e.kept}: continue with a lower learning rate, or reset.`, step: e.step, kept: e.kept, rolledBack: e.rolledBack, what: e.what });
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  const lost = /device (was )?lost|GPUDevice|DeviceLost|context (was )?lost|CONTEXT_LOST/i.test(message);
  // A step undone on a lost GPU is no help: the next one fails too. Otherwise the run is whole and goes on.
  if (!lost && e instanceof StepFailedError) {
    post({ type: 'error', gen, kind: 'step-failed', message, step: e.step, kept: e.kept });
    return;
  }
  post({ type: 'error', gen, kind: lost ? 'device-lost' : 'fatal', message, step });
}

const readAsset = async (path: string): Promise<Uint8Array> => {
  const url = new URL(path, assetBase).href;
  const res = await fetch(url);
  // The URL fetched, not only the path: what a wrong host path or a folder not uploaded shows.
  if (!res.ok) throw new Error(`cannot load ${url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return inflatedByServer(path, bytes) ? gzip(bytes) : bytes;
};

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The own data last uploaded, or restored with a saved or imported run (data.name 'own' trains on it); its id changes per upload. */
let ownData: OwnImages | undefined;
let uploads = 0;
/** The own images the autosave holds: undefined until this worker has written or read the record (a previous page's may be there). */
let savedOwnData: StoredImages | null | undefined;
/** The data as it was before each restored run's restore, put back if the page drops that run before it goes live. */
const dataBeforeRestore = new WeakMap<WorkerRun, DataBefore>();

/** The data as it was before a restore, and how to put the loaded images' cached sizes back (a restore decodes its own size). */
interface DataBefore {
  ownData: typeof ownData;
  dataset: typeof dataset;
  savedOwnData: typeof savedOwnData;
  sizes?: () => void;
}

function putBack(before: DataBefore): void {
  ({ ownData, dataset, savedOwnData } = before);
  before.sizes?.();
}
/** An id for a set of own images written with a save (not a secure-context API: the page may be served over plain http). */
const newImagesId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

async function getDataset(c: Config): Promise<Dataset> {
  if (c.data.name === 'own') {
    if (!ownData) throw new Error('no own data is loaded yet: choose your images in the Data panel (Your own data) first');
    // Stored at the run's image size: decoded anew (or shrunk) when the size setting changed since the load.
    const side = imageSideOrDefault(c.data.imageSize);
    dataset = { key: `own:${ownData.id}@${side}`, data: await ownData.at(side, decodeImage) };
    return dataset.data;
  }
  // Shapes are generated from the seed; fashion-mnist is fixed data.
  const key = JSON.stringify([c.data.name, c.data.trainCount, c.data.testCount, c.data.name === 'shapes' ? c.seed : 0]);
  if (dataset?.key !== key) {
    dataset = { key, data: await loadDataset(c.data.name, { seed: c.seed, read: readAsset, trainCount: c.data.trainCount, testCount: c.data.testCount }) };
  }
  return dataset.data;
}

function datasetInfo(t: Trainer): DatasetInfo {
  const d = t.dataset;
  return {
    name: d.name,
    classNames: d.classNames,
    trainCount: d.train.count,
    testCount: d.test.count,
    height: d.height,
    width: d.width,
    channels: d.channels,
    imageSize: t.imageSize,
    source: d.source,
    ...classesInOneSplit(d),
  };
}

/** One built run and what the worker keeps about it besides the session (rows not yet sent, rate). */
class WorkerRun {
  /** A failed save of this run was said (once a run: the page clears the banner when a new run is built). */
  saveWarned = false;
  /** Rows not yet sent to the page. */
  pending: ProgressRow[] = [];
  lastFlush = 0;
  lastSnapshot = 0;
  /** Steps/s shown: wall time over the last steps of this stretch of training. */
  readonly rate = new StepRate(RATE_WINDOW);
  /** Steps this run object has taken (its first, compiling and warming up, is left out of `timed`). */
  stepsTaken = 0;
  /** The last RATE_WINDOW steps' own times (ms, training only, from the run object's second step) and the regrowth passes each ran: the measured line's numerator and its count. */
  timed: TimedStep[] = [];
  /** Metrics read back with the last step (per-layer FLOPs in snapshots use them). */
  lastMetrics: Record<string, Float32Array> = {};
  /** The last step's extra gradient passes (SyncCP regrowth): its snapshot counts them, as its row does. */
  lastGradientPasses: string[][] = [];
  /** Step of the last SyncCP mask update already reported in a progress row. */
  reportedUpdate: number | null = null;
  /** The run's SyncCP plugin, found once per run rather than on every step. */
  readonly syncp: WeightMaskSource | undefined;
  /** The layer the page shows in detail, and its masks at each update (UI state: kept here, not in the engine). */
  selectedLayer: string | undefined;
  maskHistory: MaskHistory | undefined;
  /** Every row sent to the page, so a saved run replays all of them. */
  rows: ProgressRow[] = [];
  /** Snapshots posted (without the mask history, which is kept once), for the timeline of a resumed run. */
  snapshots: Snapshot[] = [];
  /** Step of the last autosave and when it was written. */
  savedStep = 0;
  lastSave = 0;

  constructor(readonly session: RunSession) {
    // "Continue with lr × ½" after a divergence needs the state before the update that caused it.
    session.trainer.keepLastGoodState(true);
    this.syncp = session.trainer.plugins.find(isWeightMaskSource);
    this.selectedLayer = this.syncp?.layerNames()[0];
    if (this.selectedLayer) this.maskHistory = new MaskHistory(this.selectedLayer);
  }

  /** Show `layer` in detail: its history restarts from its current masks. */
  select(layer: string): boolean {
    const sp = this.syncp;
    if (!sp || !sp.layerNames().includes(layer)) return false;
    if (layer === this.selectedLayer) return true;
    this.selectedLayer = layer;
    this.maskHistory = new MaskHistory(layer);
    if (sp.lastUpdateStep !== null) this.maskHistory.record(sp.lastUpdateStep, sp.layerMasks(layer)!);
    return true;
  }

  get trainer(): Trainer {
    return this.session.trainer;
  }

  get step(): number {
    return this.session.step;
  }

  get total(): number {
    return this.session.total;
  }

  dispose(): void {
    this.session.dispose();
  }

  /**
   * Back to step `kept` (a divergence rolled the trainer back): the rows, snapshots and mask
   * history after it describe a state the run no longer has. The page drops its own copies
   * when it hears the error (`kept`).
   */
  rewind(kept: number): void {
    const upTo = <T extends { step: number }>(xs: T[]) => xs.filter((x) => x.step <= kept);
    this.rows = upTo(this.rows);
    this.pending = upTo(this.pending);
    this.snapshots = upTo(this.snapshots);
    if (this.maskHistory) this.maskHistory.entries.splice(0, this.maskHistory.entries.length, ...upTo(this.maskHistory.entries));
    // An update rolled back is not reported; the masks' own (restored) last update is.
    if (this.reportedUpdate !== null && this.reportedUpdate > kept) this.reportedUpdate = this.syncp?.lastUpdateStep ?? null;
    // The autosave may hold the state rolled back from: the next report saves this one over it.
    this.savedStep = Math.min(this.savedStep, kept - 1);
    // A rolled-back step's read-back (densities, regrowth pass) describes masks the run no
    // longer has: the FLOPs count and the autosave fall back to the masks and the schedule.
    this.lastMetrics = {};
    this.lastGradientPasses = [];
  }

  /** What the panels drew, to be replayed by a resumed or imported run. */
  replay(): Replay {
    return { rows: this.rows, selectedLayer: this.selectedLayer, maskHistory: this.maskHistory?.entries.slice() ?? [], reportedUpdate: this.reportedUpdate, lastMetrics: this.lastMetrics, snapshots: this.snapshots };
  }

  /** Put back what the panels drew (after the session state is restored). */
  applyReplay(saved: Replay): void {
    const r = renumberUpdates(saved, this.syncp?.lastUpdateStep ?? null);
    this.rows = r.rows.slice();
    this.reportedUpdate = r.reportedUpdate;
    this.lastMetrics = r.lastMetrics;
    this.snapshots = (r.snapshots ?? []).filter((x) => x.step <= this.step);
    if (r.selectedLayer && this.syncp?.layerNames().includes(r.selectedLayer)) {
      this.selectedLayer = r.selectedLayer;
      this.maskHistory = new MaskHistory(r.selectedLayer);
      // The panel keeps the last HISTORY_LENGTH updates; a file may hold any number (spread
      // whole, 10⁵ of them overflowed the call's arguments).
      this.maskHistory.entries.push(...r.maskHistory.slice(-HISTORY_LENGTH));
    }
    this.savedStep = this.step;
  }
}

const host: RunHost<WorkerRun> = {
  async init(msg) {
    assetBase = msg.assetBase;
    nameWasmAssets();
    // Time the backends on the run's own first-layer size: on a software adapter plain cpu
    // beats WebGPU by far, on a real GPU the reverse; only measuring tells.
    report = msg.auto
      ? await chooseBackend(msg.order, { cached: msg.auto.cached, shape: calibrationShape(msg.config) })
      : // A named backend has a start limit too (a longer one): one that never answers falls back.
        await initBackend(msg.order, { startMs: NAMED_START_MS });
    if (report.backend === 'webgpu' && msg.options?.webgpuCpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', msg.options.webgpuCpuForward);
    watchBackendLoss(report.backend, tf.backend(), (message) => {
      queue.halt();
      // The device is the worker's, not one run's: no run number, so the page never drops it as stale.
      post({ type: 'error', kind: 'device-lost', message });
    });
    post({ type: 'backend', report });
  },

  async build(config, gen) {
    const data = await getDataset(config);
    const run = new WorkerRun(new RunSession(config, data));
    try {
      const f = run.trainer.flops();
      post({ type: 'ready', gen, config, dataset: datasetInfo(run.trainer), flops: { dense: f.dense, effective: f.effective }, tensors: tf.memory().numTensors });
      await snapshot(run, gen);
      // What the kNN curve is read against; raw pixels depend on the data only, so they are kept.
      const key = `${dataset!.key}|${run.trainer.imageSize}|${config.eval.knnK}|${config.eval.knnTemperature}`;
      const baselines = await run.session.measureBaselines(rawPixelKnn.get(key));
      rawPixelKnn.set(key, baselines.rawPixels);
      post({ type: 'baselines', gen, baselines });
      return run;
    } catch (e) {
      // The queue never gets this run: its tensors go with the failure (a GPU out of memory, a failed readback).
      run.dispose();
      throw e;
    }
  },

  step: oneStep,

  async report(run, gen, force) {
    flush(run, gen, force);
    if (force || performance.now() - run.lastSnapshot > SNAPSHOT_MS) await snapshot(run, gen);
    if (run.step > run.savedStep && (force || performance.now() - run.lastSave > AUTOSAVE_MS)) await autosave(run, gen);
  },

  async restore(source) {
    const upload = source.kind === 'import' ? readRunUpload(source.name, source.bytes) : undefined;
    const saved = upload ? (upload.session ? { session: upload.session, replay: upload.replay } : undefined) : await readAutosave();
    if (!saved) throw new Error(upload ? 'the zip holds no trainer state to continue from; import its run.json to replay its history' : 'there is no saved run to resume (it was discarded, or this browser keeps no site data)');
    if (source.kind === 'autosave' && source.savedAt !== undefined && 'meta' in saved && saved.meta.savedAt !== source.savedAt)
      throw new Error(`the run offered (saved ${source.savedAt}) was replaced by a later save (${saved.meta.savedAt}, at step ${saved.meta.step}: a new run's first steps, or another tab); nothing was restored`);
    const config = saved.session.trainer.config;
    const before: DataBefore = { ownData, dataset, savedOwnData, sizes: ownData?.rememberSizes() };
    if (config.data.name === 'own' && source.kind === 'autosave') {
      // The images saved with the run are the ones it trained on (the files loaded now may be others).
      const data = 'ownData' in saved ? saved.ownData : undefined;
      if (data && 'meta' in saved) {
        ownData = new OwnImages(++uploads, data);
        savedOwnData = { id: saved.meta.imagesId ?? newImagesId(), data };
      }
    }
    // An imported run.zip of an own-data run carries its images (older zips do not: the files loaded now are used).
    if (config.data.name === 'own' && upload?.ownData) ownData = new OwnImages(++uploads, upload.ownData);
    if (config.data.name === 'own' && !ownData) throw new Error('this run trained on your own images: load them in the Data panel first, then resume or import again');
    let run: WorkerRun;
    try {
      const data = await getDataset(config);
      // Saved without its images (they did not fit, or another tab's save replaced them): the
      // files loaded now must be the ones it trained on, or it would train on others unsaid.
      const other = config.data.name === 'own' && 'meta' in saved ? otherImages(saved.meta, data) : undefined;
      if (other) throw new Error(other);
      run = new WorkerRun(RunSession.restore(saved.session, data));
    } catch (e) {
      // The live run goes on with the data it had (and the images it brought are dropped).
      putBack(before);
      throw e;
    }
    // The one check of a replay, here rather than in the page: both sources reach the worker
    // unchecked (an import as read from the file, an autosave from IndexedDB, maybe written by
    // an older version). Damaged: the panels are drawn from the session's history instead.
    try {
      const replay = parseReplay(saved.replay);
      if (replay) run.applyReplay(replay);
      else {
        run.rows = saved.session.history.filter((r) => r.step > 0).map((r) => progressRowOf(r, run));
        // The last update is the restored masks' own: reported again on the next row, it would count twice.
        run.reportedUpdate = run.syncp?.lastUpdateStep ?? null;
      }
    } catch (e) {
      // Refused after all: the run made for it goes (its tensors with it), the live one keeps its data.
      run.dispose();
      putBack(before);
      throw e;
    }
    run.savedStep = run.step;
    dataBeforeRestore.set(run, before);
    return run;
  },

  discardRestored(run) {
    const before = dataBeforeRestore.get(run);
    if (before) putBack(before);
    run.dispose();
  },

  async announce(run, gen) {
    // Live now: the data before its restore is no longer to be put back (kept, it held the
    // replaced images, up to 200 MB, for as long as this run lived).
    dataBeforeRestore.delete(run);
    const f = run.trainer.flops(run.lastMetrics);
    post({ type: 'ready', gen, config: run.session.config, dataset: datasetInfo(run.trainer), flops: { dense: f.dense, effective: f.effective }, tensors: tf.memory().numTensors, warm: run.stepsTaken > 0 });
    if (run.session.baselines) post({ type: 'baselines', gen, baselines: run.session.baselines });
    if (run.rows.length) post({ type: 'progress', gen, rows: run.rows.slice(), stepsPerSecond: 0, timedSteps: run.timed.length, replay: true });
    run.pending = []; // sent just now, with the rest
    run.lastFlush = performance.now();
    // The timeline as it was, then the snapshot of now (the same step as the last kept one: it replaces it).
    for (const snap of run.snapshots) post({ type: 'snapshot', gen, snapshot: structuredClone(snap) });
    await snapshot(run, gen);
  },

  configOf: (run) => run.session.config,

  exportRun,

  async measureDense(run) {
    // The FLOPs counted for the steps timed, at the densities of now (the panel may show an
    // older snapshot), with the regrowth passes those steps ran.
    const own = timedAndCounted(run.timed, (passes) => {
      const f = run.trainer.flops(run.lastMetrics, passes);
      return f.dense > 0 ? f.effective / f.dense : 1;
    });
    if (own === undefined) throw new Error(`${TOO_FEW_TIMED}: the first one warms up (compiles programs), and the measurement compares this run’s later steps`);
    const { denseMs } = await timeDenseStep(run.trainer.config, run.trainer.dataset, run.step);
    return { step: run.step, runMs: own.runMs, denseMs, counted: own.counted };
  },

  async selectLayer(run, gen, layer) {
    if (!run.select(layer)) return false;
    await snapshot(run, gen);
    return true;
  },

  async loadData(msg) {
    try {
      const data = await readOwnData(msg.files, { decode: decodeImage, size: msg.size, seed: 1 });
      ownData = new OwnImages(++uploads, data, msg.files);
      post({
        type: 'data-loaded',
        info: { source: data.source ?? 'own data', classNames: data.classNames, trainCount: data.train.count, testCount: data.test.count, size: data.height, skipped: data.skipped ?? [], ...classesInOneSplit(data) },
      });
    } catch (e) {
      post({ type: 'error', kind: 'data', message: e instanceof OwnDataError ? e.message : `could not read the files: ${(e as Error).message}` });
    }
  },

  scaleLearningRate(run, factor) {
    return run.session.scaleLearningRate(factor);
  },

  post,
  fail,
  yieldTask,
};

const queue = new CommandQueue(host);

function flush(run: WorkerRun, gen: number, force = false): void {
  const now = performance.now();
  if (run.pending.length === 0 || (!force && now - run.lastFlush < PROGRESS_MS)) return;
  post({ type: 'progress', gen, rows: run.pending, stepsPerSecond: run.rate.perSecond(), timedSteps: run.timed.length });
  run.pending = [];
  run.lastFlush = now;
}

/** One step, its kNN when due, and the row for the page. */
async function oneStep(run: WorkerRun): Promise<void> {
  const begun = performance.now();
  const stretch = queue.runningStretch;
  let step: Awaited<ReturnType<RunSession['trainStep']>>;
  const before = run.step;
  try {
    step = await run.session.trainStep();
  } catch (e) {
    if (e instanceof DivergenceError) run.rewind(e.kept);
    // Undone (or failed before its update): the run is whole at the step it was at, and can go
    // on. A step left applied without its row, or a state not known to be whole, is no such case.
    else if (run.trainer.consistent && run.step === before) throw new StepFailedError(before + 1, before, e);
    throw e;
  }
  const { result: r, row } = step;
  run.lastMetrics = r.metrics;
  run.lastGradientPasses = r.gradientPasses ?? [];
  const p: ProgressRow = { ...row, tensors: tf.memory().numTensors };
  // The update's statistics travel once, on the first row after it (masks change every few steps only).
  const sp = run.syncp;
  if (sp && sp.lastUpdateStep !== null && sp.lastUpdateStep !== run.reportedUpdate) {
    const u = sp.updateSummary();
    run.reportedUpdate = u.step;
    if (run.selectedLayer && u.step !== null) run.maskHistory?.record(u.step, sp.layerMasks(run.selectedLayer)!);
    p.update = { step: u.step!, layers: u.layers } satisfies MaskUpdate;
  }
  run.pending.push(p);
  run.rows.push(p);
  run.rows = capRows(run.rows);
  // The run object's first step (compiling, warming up) is left out, as the dense timing leaves out its own.
  const warmUp = run.stepsTaken++ === 0;
  if (!warmUp) run.timed.push({ ms: r.ms, ...(r.gradientPasses?.length ? { passes: r.gradientPasses } : {}) });
  run.rate.record(begun, performance.now(), r.ms, stretch, warmUp);
  if (run.timed.length > RATE_WINDOW) run.timed.shift();
}

function toRgba(src: ArrayLike<number>, offset: number, w: number, h: number, c: number, scale: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const base = offset + i * c;
    const r = src[base] * scale;
    out[i * 4] = r;
    out[i * 4 + 1] = c === 3 ? src[base + 1] * scale : r;
    out[i * 4 + 2] = c === 3 ? src[base + 2] * scale : r;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Dataset preview (stored images + the two views of the first) and plugin snapshots: one readback for the views. */
async function snapshot(run: WorkerRun, gen: number): Promise<void> {
  const t = run.trainer;
  run.lastSnapshot = performance.now();
  const d = t.dataset;
  // The batch the last step trained on (views(s) makes row s + 1), as every other panel at
  // this step shows that step; before any step, the first step's.
  const step = t.step;
  const batchStep = Math.max(0, step - 1);
  const idx = t.batchIndices(batchStep).slice(0, PREVIEW_SAMPLES);
  const per = d.height * d.width * d.channels;
  const samples: PreviewImage[] = idx.map((i) => ({
    width: d.width,
    height: d.height,
    rgba: toRgba(d.train.images, i * per, d.width, d.height, d.channels, 1),
    label: d.classNames[d.train.labels[i]],
  }));
  const [v1, v2] = t.views(batchStep);
  const pair = tf.tidy(() => tf.concat([v1.slice([0], [1]), v2.slice([0], [1])]).clipByValue(0, 1).mul(255));
  v1.dispose();
  v2.dispose();
  const [, vh, vw, vc] = pair.shape as number[];
  let px: Float32Array | Int32Array | Uint8Array;
  try {
    px = await pair.data();
  } finally {
    pair.dispose(); // also when the readback fails (a lost GPU)
  }
  const views: [PreviewImage, PreviewImage] = [
    { width: vw, height: vh, rgba: toRgba(px, 0, vw, vh, vc, 1) },
    { width: vw, height: vh, rgba: toRgba(px, vw * vh * vc, vw, vh, vc, 1) },
  ];
  const plugins: Snapshot['plugins'] = {};
  for (const p of t.plugins) {
    const s = await p.snapshot?.({ selectedLayer: run.selectedLayer });
    if (s?.kind === 'syncp') plugins.syncp = { ...s, selected: { ...s.selected, history: run.maskHistory?.entries.slice() ?? [] } };
    else if (s?.kind === 'cdg') plugins.cdg = s;
  }
  const f = t.flops(run.lastMetrics, run.lastGradientPasses);
  const snap: Snapshot = { step, samples, views, plugins, flops: { layers: f.layers.map((l) => ({ name: l.name, dense: l.dense, effective: l.effective })), dense: f.dense, effective: f.effective } };
  const sp = run.syncp;
  const sel = run.selectedLayer ? sp?.layerMasks(run.selectedLayer) : undefined;
  const nm = sp?.nmPattern();
  if (sel && nm) {
    snap.nm = { layer: sel.name, online: nmPatternGrid(sel.online, sel.shape, nm.n, nm.m), target: nmPatternGrid(sel.target, sel.shape, nm.n, nm.m) };
  }
  // Kept before the buffers below are transferred; the mask history is kept once, in maskHistory.
  const kept = structuredClone(snap);
  if (kept.plugins.syncp) kept.plugins.syncp.selected.history = [];
  run.snapshots = pushDecimated(run.snapshots, kept, REPLAY_SNAPSHOTS);
  const transfer = [...samples.map((s) => s.rgba.buffer), ...views.map((v) => v.rgba.buffer)] as ArrayBuffer[];
  if (snap.nm) transfer.push(snap.nm.online.ids.buffer as ArrayBuffer, snap.nm.target.ids.buffer as ArrayBuffer);
  post({ type: 'snapshot', gen, snapshot: snap }, transfer);
}

async function exportRun(run: WorkerRun, gen: number): Promise<void> {
  if (!report) throw new Error('nothing to export: no backend is initialised');
  const backend = { backend: report.backend, adapter: report.adapter };
  const [runFile, bundle] = await Promise.all([run.session.runFile(backend), run.session.bundle(backend, run.replay())]);
  post({ type: 'exported', gen, run: runFile, bundle }, [bundle.buffer as ArrayBuffer]);
}

/** A logged row of a run.json without a replay, as the page plots it. */
function progressRowOf(r: MetricsRow, run: WorkerRun): ProgressRow {
  const f = r.flops ?? run.trainer.flops();
  return { ...r, loss: r.loss ?? NaN, lr: r.lr ?? 0, flops: { dense: f.dense, effective: f.effective, ...('pass' in f && f.pass ? { pass: f.pass } : {}) }, tensors: 0 };
}

/**
 * Write the run to IndexedDB (one record, replaced each time). Own images that do not fit
 * (storage quota) are dropped and the run is saved without them; a failure is said on the
 * page (warnAutosave), and training goes on.
 */
/** Own images that did not fit in storage: not tried again every few seconds. */
// Held weakly: once the run trains on other data, these images (up to 20 000 decoded) are not kept alive by this note.
let ownDataTooLarge: WeakRef<Dataset> | undefined;
async function autosave(run: WorkerRun, gen: number): Promise<void> {
  run.lastSave = performance.now();
  try {
    const data = run.trainer.dataset;
    // The own images are written when they change (or another tab's save replaced them), and dropped when the run trains on other data.
    const storedId = data.name === 'own' && savedOwnData?.data === data ? await readStoredImagesId() : undefined;
    const { write: own, imagesId } = ownImagesToWrite(data, savedOwnData, storedId, ownDataTooLarge?.deref(), newImagesId);
    const saved: SavedRun = {
      meta: { step: run.step, total: run.total, savedAt: new Date().toISOString(), backend: report?.backend ?? 'unknown', config: run.session.config, imagesId, ...(data.name === 'own' ? { imagesPrint: datasetPrint(data) } : {}) },
      session: await run.session.saveState(),
      replay: run.replay(),
    };
    try {
      await writeAutosave(saved, own);
      if (own !== undefined) savedOwnData = own;
    } catch (e) {
      if (!own) throw e;
      // The run without its images: a reload offers it and asks for the files again.
      await writeAutosave({ ...saved, meta: { ...saved.meta, imagesId: undefined } }, null);
      savedOwnData = null;
      ownDataTooLarge = new WeakRef(own.data);
      warnAutosave('images', run, gen, `your images did not fit in this browser's storage (${(e as Error).message}), so the run was saved without them: to resume it after a reload, load the same files again first.`);
    }
    run.savedStep = run.step;
    run.saveWarned = false; // saving works (again): a later failure is said anew
  } catch (e) {
    warnAutosave('save', run, gen, `the run could not be saved in this browser (${(e as Error).message}): training goes on, but a reload will not offer to resume it. Export it to keep it.`);
  }
}

/**
 * A failed save is said once a run (it stays until dismissed or a new run is built, which
 * clears the page's banner; every 5 s would only nag), and again after a save that worked,
 * even after the images notice. The images notice is said for each set of images that does
 * not fit: the same images are not tried again (ownDataTooLarge), so it comes again only
 * when other images, or the same ones at another image size, fail to fit.
 */
function warnAutosave(kind: 'images' | 'save', run: WorkerRun, gen: number, message: string): void {
  if (kind === 'save') {
    if (run.saveWarned) return;
    run.saveWarned = true;
  }
  console.warn(`autosave: ${message}`);
  // With the run's generation: a save of a run the page has since replaced is not said over
  // the new one. The images notice is about the images, which later runs on them do not retry.
  post({ type: 'error', gen: kind === 'images' ? null : gen, kind: 'autosave', message: `Autosave: ${message}` });
}

self.addEventListener('message', (ev: MessageEvent<Request>) => queue.push(ev.data));
self.addEventListener('unhandledrejection', (ev) => {
  ev.preventDefault();
  // Said as fatal (or a lost device), which the page takes for a stopped worker: training
  // stops too, or steps and autosaves went on under the "stopped" banner.
  if (!(ev.reason instanceof DivergenceError)) queue.halt();
  fail(ev.reason, queue.generation);
});
