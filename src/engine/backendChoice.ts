// Choosing the backend by measurement. On a real GPU WebGPU wins by far; on a software
// adapter (SwiftShader) it loses to tfjs' plain cpu backend by ~25×, and a machine
// cannot tell which case it is in without timing. So each available backend runs the
// same small training workload — a 3×3 convolution and a dense layer, forward and
// backward, at the run's first-layer size — and the fastest is used. Warm-up (shader
// compilation) is timed apart and not counted: it is paid once per run.
import * as tf from '@tensorflow/tfjs';
import { initBackend, webgpuAdapterLabel, type BackendName, type BackendReport } from './backend';

export interface BackendTiming {
  backend: BackendName;
  /** Adapter as initBackend reports it; empty when the backend could not start. */
  adapter: string;
  software: boolean;
  /** Median ms of one workload repetition after warm-up; null when the backend could not start. */
  ms: number | null;
  /** ms of the first (warm-up) repetition: shader compilation and the like. */
  warmupMs: number | null;
  /** Why it could not be measured. */
  reason?: string;
}

export interface Calibration {
  /** Identifies the device the timings belong to (a cached calibration is reused only on the same one). */
  device: string;
  timings: BackendTiming[];
  chosen: BackendName;
  at: string;
}

/** The workload's size: the run's images and first stage, so the ranking fits the run. */
export interface WorkloadShape {
  batch: number;
  size: number;
  channels: number;
  width: number;
  hidden: number;
}

export const DEFAULT_WORKLOAD: WorkloadShape = { batch: 16, size: 16, channels: 3, width: 16, hidden: 32 };

/** One forward + backward of conv3×3 → relu → mean pool → dense; resolves when its result is read back. */
async function workloadOnce(w: WorkloadShape, seed: number): Promise<void> {
  const loss = tf.tidy(() => {
    const x = tf.randomUniform([w.batch, w.size, w.size, w.channels], 0, 1, 'float32', seed) as tf.Tensor4D;
    const k1 = tf.randomNormal([3, 3, w.channels, w.width], 0, 0.1, 'float32', seed + 1);
    const k2 = tf.randomNormal([3, 3, w.width, w.width], 0, 0.1, 'float32', seed + 2);
    const d = tf.randomNormal([w.width, w.hidden], 0, 0.1, 'float32', seed + 3);
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h1 = tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same'));
      const h2 = tf.relu(tf.conv2d(h1 as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
      return tf.sum(tf.square(tf.matMul(tf.mean(h2, [1, 2]) as tf.Tensor2D, c as tf.Tensor2D)));
    };
    const grads = tf.grads(f)([k1, k2, d]);
    return tf.addN(grads.map((g) => tf.sum(g)));
  });
  await loss.data();
  loss.dispose();
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Time `candidates` within about `budgetMs` in all (each gets an equal share; at least
 * one timed repetition after warm-up, two when the warm-up left time for them). Backends
 * that cannot start are reported with their reason. tfjs is left on the last one tried.
 */
export async function measureBackends(candidates: BackendName[], shape: WorkloadShape = DEFAULT_WORKLOAD, budgetMs = 3000): Promise<BackendTiming[]> {
  const share = budgetMs / Math.max(1, candidates.length);
  const out: BackendTiming[] = [];
  for (const backend of candidates) {
    let report;
    try {
      report = await initBackend([backend]);
    } catch (e) {
      out.push({ backend, adapter: '', software: false, ms: null, warmupMs: null, reason: (e as Error).message.replace(/^no tfjs backend could start: /, '') });
      continue;
    }
    const before = tf.memory().numTensors;
    try {
      const t0 = now();
      await workloadOnce(shape, 1);
      const warmupMs = now() - t0;
      const reps: number[] = [];
      const start = now();
      // Two timed repetitions at least, unless the warm-up alone used up this backend's share
      // (a software adapter compiling shaders): then one says enough and keeps the total near budget.
      const minReps = warmupMs > share ? 1 : 2;
      while (reps.length < minReps || (reps.length < 12 && now() - start + warmupMs < share)) {
        const t = now();
        await workloadOnce(shape, 2 + reps.length);
        reps.push(now() - t);
      }
      out.push({ backend, adapter: report.adapter, software: report.softwareAdapter, ms: median(reps), warmupMs });
    } catch (e) {
      out.push({ backend, adapter: report.adapter, software: report.softwareAdapter, ms: null, warmupMs: null, reason: `the workload failed: ${(e as Error).message}` });
    }
    if (tf.memory().numTensors !== before) throw new Error(`backend calibration leaked ${tf.memory().numTensors - before} tensors on ${backend}`);
  }
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The fastest measured backend; ties go to the earlier candidate. Throws when none could run. */
export function fastest(timings: BackendTiming[]): BackendName {
  let best: BackendTiming | undefined;
  for (const t of timings) if (t.ms !== null && (!best || t.ms < best.ms!)) best = t;
  if (!best) throw new Error(`no backend could run the calibration workload: ${timings.map((t) => `${t.backend}: ${t.reason ?? 'failed'}`).join('; ')}`);
  return best.backend;
}

/** The candidates ordered fastest first (unmeasurable ones last): an initBackend order with fallbacks. */
export function orderByTiming(timings: BackendTiming[]): BackendName[] {
  return [...timings].sort((a, b) => (a.ms ?? Infinity) - (b.ms ?? Infinity)).map((t) => t.backend);
}

/** One line for a notice or a log: "webgpu (software adapter) 310 ms, cpu 12 ms — using cpu". */
export function describeCalibration(c: Pick<Calibration, 'timings' | 'chosen'>): string {
  const parts = c.timings.map((t) =>
    t.ms === null ? `${t.backend}: unavailable (${t.reason ?? 'failed'})` : `${t.backend}${t.software ? ' (software adapter)' : ''} ${fmtMs(t.ms)}`,
  );
  const chosen = c.timings.find((t) => t.backend === c.chosen);
  const slowest = Math.max(...c.timings.map((t) => t.ms ?? 0));
  const gain = chosen?.ms && slowest > chosen.ms * 1.5 ? ` (${(slowest / chosen.ms).toFixed(0)}× faster than the slowest)` : '';
  return `${parts.join(', ')} — using ${c.chosen}${gain}`;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

/** A calibration is reused only on the same device: same browser/runtime, cores and adapters. */
export function deviceKey(runtime: string, cores: number, adapters: string[]): string {
  return JSON.stringify([runtime, cores, ...adapters]);
}

/** This runtime's device key: the user agent (or Node version), cores and WebGPU adapter. */
export async function currentDevice(): Promise<string> {
  const nav = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  const proc = (globalThis as { process?: { version?: string; platform?: string } }).process;
  const runtime = nav?.userAgent ?? `node ${proc?.version ?? '?'} ${proc?.platform ?? ''}`;
  return deviceKey(runtime, nav?.hardwareConcurrency ?? 0, [await webgpuAdapterLabel()]);
}

/**
 * Measure `candidates` (or reuse `cached` when it was measured on this very device), then
 * initialise the fastest, with the others as fallbacks in order of speed.
 */
export async function chooseBackend(candidates: BackendName[], opts: { cached?: Calibration; shape?: WorkloadShape; budgetMs?: number } = {}): Promise<BackendReport> {
  const device = await currentDevice();
  const reuse = opts.cached && opts.cached.device === device && opts.cached.timings.some((t) => t.ms !== null && candidates.includes(t.backend));
  const timings = reuse ? opts.cached!.timings.filter((t) => candidates.includes(t.backend)) : await measureBackends(candidates, opts.shape, opts.budgetMs);
  fastest(timings); // throws with every reason when nothing could run
  const report = await initBackend(orderByTiming(timings));
  report.calibration = { timings, cached: Boolean(reuse), at: reuse ? opts.cached!.at : new Date().toISOString(), device };
  return report;
}

/** The calibration as stored for reuse (localStorage in the page). */
export function calibrationOf(report: BackendReport): Calibration | undefined {
  const c = report.calibration;
  return c ? { device: c.device, timings: c.timings, chosen: report.backend, at: c.at } : undefined;
}
