/// <reference lib="webworker" />
// The trainer Worker: owns the tfjs backend and the run, so the page never blocks while
// it trains. Steps run back to back while started; between steps the worker yields a
// task so pause/step/reset messages get through. Everything that touches the trainer is
// serialised through one queue (a reset never disposes a trainer mid-step).
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendReport } from '../engine/backend';
import type { Config } from '../engine/config';
import { loadDataset, type Dataset } from '../engine/data';
import { encodeMasks, RUN_FILE_VERSION, type RunFile } from '../engine/runFile';
import { DivergenceError, Trainer, type StepResult } from '../engine/trainer';
import { SyncCPPlugin } from '../engine/sparsity/syncp';
import { nmPatternGrid } from '../engine/viz/nmPatterns';
import type { DatasetInfo, MaskUpdate, PreviewImage, ProgressRow, Request, Response, RunPhase, Snapshot } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

/** Progress is flushed at most this often while running (plus at every phase change). */
const PROGRESS_MS = 100;
/** Dataset preview and plugin snapshots while running: at most this often. */
const SNAPSHOT_MS = 3000;
const PREVIEW_SAMPLES = 6;
const RATE_WINDOW = 10;

let report: BackendReport | undefined;
let assetBase = '';
let config: Config | undefined;
let trainer: Trainer | undefined;
let dataset: { key: string; data: Dataset } | undefined;
let running = false;
let loopActive = false;
let pending: ProgressRow[] = [];
let lastFlush = 0;
let lastSnapshot = 0;
let stepTimes: number[] = [];
/** Logged rows for run.json, as the CLI logs them. */
let history: Record<string, unknown>[] = [];
let queue: Promise<unknown> = Promise.resolve();
/** Metrics read back with the last step (per-layer FLOPs in snapshots use them). */
let lastMetrics: Record<string, Float32Array> = {};
/** Step of the last SyncCP mask update already reported in a progress row. */
let reportedUpdate: number | null = null;

/** The run's SyncCP plugin, found once per run rather than on every step. */
let syncp: SyncCPPlugin | undefined;

function post(msg: Response, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

/** Run `fn` after everything queued before it; errors go to the caller, the queue keeps going. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => undefined);
  return next;
}

/** A macrotask without setTimeout's 4 ms clamp: lets queued messages run between steps. */
function yieldTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

function phase(p: RunPhase): void {
  post({ type: 'phase', phase: p, step: trainer?.step ?? 0 });
}

function fail(e: unknown, step?: number): void {
  if (e instanceof DivergenceError) {
    post({ type: 'error', kind: 'diverged', message: `Training diverged at step ${e.step} (loss ${e.loss}). Lower the learning rate, then reset.`, step: e.step });
    return;
  }
  const message = e instanceof Error ? e.message : String(e);
  const lost = /device (was )?lost|GPUDevice|DeviceLost/i.test(message);
  post({ type: 'error', kind: lost ? 'device-lost' : 'fatal', message, step });
}

const readAsset = async (path: string): Promise<Uint8Array> => {
  const url = new URL(path, assetBase).href;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${path}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // Some servers (Vite's dev server among them) send .gz files with Content-Encoding:
  // gzip, so fetch hands back the inflated bytes; the loaders expect the file as stored.
  if (path.endsWith('.gz') && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) return gzip(bytes);
  return bytes;
};

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function getDataset(c: Config): Promise<Dataset> {
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
  };
}

/** Dispose the current run and build a fresh one at step 0 from `config`. */
async function rebuild(c: Config): Promise<void> {
  running = false;
  trainer?.dispose();
  trainer = undefined;
  syncp = undefined;
  config = c;
  pending = [];
  stepTimes = [];
  lastStepMs = 0;
  history = [];
  lastMetrics = {};
  reportedUpdate = null;
  try {
    const data = await getDataset(c);
    trainer = new Trainer(c, data);
    syncp = trainer.plugins.find((p): p is SyncCPPlugin => p instanceof SyncCPPlugin);
  } catch (e) {
    post({ type: 'error', kind: 'config', message: `Cannot build this run: ${(e as Error).message}` });
    phase('idle');
    return;
  }
  const f = trainer.flops();
  post({ type: 'ready', config: c, dataset: datasetInfo(trainer), flops: { dense: f.dense, effective: f.effective } });
  phase('idle');
  await snapshot();
}

let lastStepMs = 0;

/** Steps/s over the last few steps (wall time, so kNN and yields count); one step: its own time. */
function rate(): number {
  const n = stepTimes.length;
  if (n < 2) return lastStepMs > 0 ? 1000 / lastStepMs : 0;
  return ((n - 1) * 1000) / (stepTimes[n - 1] - stepTimes[0]);
}

function flush(force = false): void {
  const now = performance.now();
  if (pending.length === 0 || (!force && now - lastFlush < PROGRESS_MS)) return;
  post({ type: 'progress', rows: pending, stepsPerSecond: rate() });
  pending = [];
  lastFlush = now;
}

/** One step, its kNN when due, and the row for the page. Returns false when the run is over. */
async function oneStep(t: Trainer): Promise<boolean> {
  if (t.step >= t.config.steps) return false;
  const r: StepResult = await t.trainStep();
  lastStepMs = r.ms;
  const last = r.step === t.config.steps;
  const every = t.config.eval.knnEvery;
  const knnDue = (every > 0 && r.step % every === 0) || last;
  const knn = knnDue ? await t.knn() : undefined;
  const row = t.row(r, knn);
  if (r.step % t.config.eval.logEvery === 0 || knnDue || r.step === 1) history.push(row);
  lastMetrics = r.metrics;
  const flops = row.flops as ProgressRow['flops'];
  const p: ProgressRow = { step: r.step, loss: r.loss, lr: r.lr, knn, flops, tensors: tf.memory().numTensors };
  if (row.density) p.density = row.density as ProgressRow['density'];
  if (row.gateDensity) p.gateDensity = row.gateDensity as ProgressRow['gateDensity'];
  if (typeof row.gateTarget === 'number') p.gateTarget = row.gateTarget;
  // The update's statistics travel once, on the first row after it (masks change every few steps only).
  if (syncp && syncp.lastUpdateStep !== null && syncp.lastUpdateStep !== reportedUpdate) {
    const u = syncp.updateSummary();
    reportedUpdate = u.step;
    p.update = { step: u.step!, layers: u.layers } satisfies MaskUpdate;
  }
  pending.push(p);
  stepTimes.push(performance.now());
  if (stepTimes.length > RATE_WINDOW) stepTimes.shift();
  return !last;
}

async function loop(): Promise<void> {
  if (loopActive) return;
  loopActive = true;
  phase('running');
  let more = true;
  try {
    while (running && more) {
      const t = trainer;
      if (!t) break;
      more = await exclusive(() => oneStep(t));
      flush();
      if (performance.now() - lastSnapshot > SNAPSHOT_MS) await exclusive(snapshot);
      await yieldTask();
    }
  } catch (e) {
    fail(e, trainer?.step);
  } finally {
    running = false;
    loopActive = false;
    flush(true);
    if (trainer && trainer.step >= trainer.config.steps) {
      await exclusive(snapshot).catch(() => undefined);
      phase('done');
    } else {
      phase('idle');
    }
  }
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
async function snapshot(): Promise<void> {
  const t = trainer;
  if (!t) return;
  lastSnapshot = performance.now();
  const d = t.dataset;
  const step = t.step;
  const idx = t.batchIndices(step).slice(0, PREVIEW_SAMPLES);
  const per = d.height * d.width * d.channels;
  const samples: PreviewImage[] = idx.map((i) => ({
    width: d.width,
    height: d.height,
    rgba: toRgba(d.train.images, i * per, d.width, d.height, d.channels, 1),
    label: d.classNames[d.train.labels[i]],
  }));
  const [v1, v2] = t.views(step);
  const pair = tf.tidy(() => tf.concat([v1.slice([0], [1]), v2.slice([0], [1])]).clipByValue(0, 1).mul(255));
  v1.dispose();
  v2.dispose();
  const [, vh, vw, vc] = pair.shape as number[];
  const px = await pair.data();
  pair.dispose();
  const views: [PreviewImage, PreviewImage] = [
    { width: vw, height: vh, rgba: toRgba(px, 0, vw, vh, vc, 1) },
    { width: vw, height: vh, rgba: toRgba(px, vw * vh * vc, vw, vh, vc, 1) },
  ];
  const plugins: Snapshot['plugins'] = {};
  for (const p of t.plugins) {
    const s = await p.snapshot?.();
    if (s) plugins[p.name] = s;
  }
  const f = t.flops(lastMetrics);
  const snap: Snapshot = { step, samples, views, plugins, flops: { layers: f.layers.map((l) => ({ name: l.name, dense: l.dense, effective: l.effective })), dense: f.dense, effective: f.effective } };
  const sp = syncp;
  if (sp && sp.cfg.granularity === 'nm') {
    const sel = sp.selectedMasks();
    snap.nm = { layer: sel.name, online: nmPatternGrid(sel.online, sel.shape, sp.cfg.n, sp.cfg.m), target: nmPatternGrid(sel.target, sel.shape, sp.cfg.n, sp.cfg.m) };
  }
  const transfer = [...samples.map((s) => s.rgba.buffer), ...views.map((v) => v.rgba.buffer)] as ArrayBuffer[];
  if (snap.nm) transfer.push(snap.nm.online.ids.buffer as ArrayBuffer, snap.nm.target.ids.buffer as ArrayBuffer);
  post({ type: 'snapshot', snapshot: snap }, transfer);
}

async function exportRun(): Promise<void> {
  const t = trainer;
  if (!t || !config || !report) throw new Error('nothing to export: no run is loaded');
  const masks = (await Promise.all(t.plugins.map((p) => p.exportMasks?.() ?? Promise.resolve([])))).flat();
  const gates = Object.assign({}, ...(await Promise.all(t.plugins.map((p) => p.exportState?.() ?? Promise.resolve({})))));
  const run: RunFile = {
    version: RUN_FILE_VERSION,
    createdAt: new Date().toISOString(),
    backend: { backend: report.backend, adapter: report.adapter },
    config,
    history,
    masks: encodeMasks(masks),
    gates,
  };
  post({ type: 'exported', run });
}

function watchDevice(): void {
  // A lost GPUDevice cannot be recovered inside this worker: tell the page to restart it.
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  device?.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    running = false;
    post({ type: 'error', kind: 'device-lost', message: `The GPU device was lost${info.message ? `: ${info.message}` : ''}.` });
  });
}

async function handle(msg: Request): Promise<void> {
  switch (msg.type) {
    case 'init': {
      assetBase = msg.assetBase;
      report = await initBackend(msg.order);
      if (report.backend === 'webgpu') {
        if (msg.options?.webgpuCpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', msg.options.webgpuCpuForward);
        watchDevice();
      }
      post({ type: 'backend', report });
      await exclusive(() => rebuild(msg.config));
      return;
    }
    case 'configure':
      running = false;
      await exclusive(() => rebuild(msg.config));
      return;
    case 'reset':
      running = false;
      if (config) await exclusive(() => rebuild(config!));
      return;
    case 'start':
      if (!trainer || running) return;
      if (trainer.step >= trainer.config.steps) {
        phase('done');
        return;
      }
      running = true;
      void loop();
      return;
    case 'pause':
      running = false;
      if (!loopActive) phase(trainer && trainer.step >= trainer.config.steps ? 'done' : 'idle');
      return;
    case 'step': {
      const t = trainer;
      if (!t || running || loopActive) return;
      phase('stepping');
      try {
        await exclusive(() => oneStep(t));
        flush(true);
        await exclusive(snapshot);
      } catch (e) {
        flush(true);
        fail(e, t.step);
      }
      phase(t.step >= t.config.steps ? 'done' : 'idle');
      return;
    }
    case 'export':
      await exclusive(exportRun);
      return;
    case 'select-layer': {
      const sp = syncp;
      if (!sp || !sp.layerNames().includes(msg.layer)) return;
      await exclusive(async () => {
        sp.selectLayer(msg.layer);
        await snapshot();
      });
      return;
    }
  }
}

self.addEventListener('message', (ev: MessageEvent<Request>) => {
  handle(ev.data).catch((e) => fail(e, trainer?.step));
});
self.addEventListener('unhandledrejection', (ev) => {
  ev.preventDefault();
  fail(ev.reason, trainer?.step);
});
