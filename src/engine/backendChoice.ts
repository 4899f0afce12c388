// Choosing the backend by measurement. On a real GPU WebGPU wins by far; on a software
// adapter (SwiftShader) it loses to tfjs' plain cpu backend by ~25×, and a machine
// cannot tell which case it is in without timing. So each available backend runs the
// same training workload — the run's own encoder, forward and backward on the two views of
// its batch, under a dense layer — and the fastest is used. Warm-up (shader compilation) is
// timed apart and not counted: it is paid once per run. The workload has a step's kinds
// and count of ops, not only its arithmetic: on an H100 through Dawn in Node each tfjs
// dispatch cost ~1.2 ms of host time, so a step (~1100 dispatches for SimCLR, ~1750 for
// BYOL) took 0.6–1.4 s there against 22–43 ms on the cpu backend, while the earlier two-conv
// workload (~27 dispatches, the arithmetic of a step) timed WebGPU at 22 ms and cpu at 69 ms
// and chose WebGPU. Each view is capped at 32 images, so a large custom batch does not
// stretch the calibration (the op count stays). Without a model the two-conv workload remains.
// The whole calibration keeps to a budget (3 s): host backends (cpu, wasm) are timed
// first; a software GPU adapter — known from its adapter info before any shader is
// built — then gets only what is left, with a deadline on its compilation and on its
// timed workload (it skips the separate warm-up run): one that cannot finish by then
// loses, and says so. A hardware adapter is given longer (its shaders may compile slowly
// the first time, and it is the one expected to win), but not for ever: every backend has
// hard limits to start and to be measured (LIMITS), so a GPU process that stops answering
// (a requestAdapter that never resolves, a read that never settles) costs those seconds
// and a reason on screen, never the choice itself — the app must always get a backend.
import * as tf from '@tensorflow/tfjs';
import { giveUpStart, initBackend, wasGivenUp, webgpuAdapterLabel, type BackendName, type BackendReport } from './backend';
import { LimitExceeded, withinLimit } from './withinLimit';
import { median } from './median';
import type { Config } from './config';
import { calibrationShape, DEFAULT_WORKLOAD, workloadKey, type WorkloadShape } from './calibrationWorkload';
import { forwardResNet, initResNet, resnetSpec } from './nn/resnet';
import { freeingTapeOnError } from './nn/gradientTape';
import { describeSpeedup, formatMs, LIGHTER_WORKLOAD_NOTE, speedupOverSlowest } from './calibrationSpeedup';

export { median, withinLimit, calibrationShape, DEFAULT_WORKLOAD, workloadKey, type WorkloadShape };

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
  /** Set when a deadline cut the measurement off: the workload took longer than this (ms). */
  overMs?: number;
  /** Measured earlier, but not started on this load (its WebGPU adapter answered late): the choice is the fastest of the others. */
  setAside?: boolean;
  /** Timed on the two-conv workload instead of the run's encoder (a software WebGL: deadlineShape), so its figure is a lower bound on the encoder's. */
  lighter?: boolean;
  /** Its start passed the start limit: not a verdict on the backend (a GPU process busy on this load), so a cached calibration holding it is measured again. */
  startTimedOut?: boolean;
  /**
   * A GPU that failed in a way that says nothing final about it (its device lost during the
   * workload, an exception while starting; not "no WebGPU here" or "no adapter granted"):
   * a cached calibration holding it is measured again, as one with a timed-out start is.
   */
  transientFailure?: boolean;
  /** Cut off in its warm-up (shader compilation and the first run): overMs then bounds the warm-up, not a step. */
  cutInWarmUp?: boolean;
  /** A software adapter whose turn came after the budget was spent: neither compiled nor run (it would only overrun the budget). */
  notTimed?: boolean;
  /** A hardware GPU cut off by the measure limit on this load and the last: slow for good, kept (not measured on every load) until Measure again. */
  cutOffTwice?: boolean;
}

export interface Calibration {
  /** Identifies the device the timings belong to (a cached calibration is reused only on the same one). */
  device: string;
  /** The workload timed (workloadKey): the ranking depends on the run's model, so it is reused only for the same one. */
  workload?: string;
  timings: BackendTiming[];
  chosen: BackendName;
  at: string;
  /** The app build that measured it (the page's cache is reused only by the same build). */
  build?: string;
}

/** Hard limits whatever the adapter (ms): to start a backend, to measure it, to ask for the adapter's name. */
export interface CalibrationLimits {
  startMs: number;
  measureMs: number;
  adapterMs: number;
}
export const LIMITS: CalibrationLimits = { startMs: 8000, measureMs: 15000, adapterMs: 3000 };
/**
 * A backend the user named waits longer to start than a measured one: it was asked for, and
 * a GPU process still compiling what a cut-off calibration left (Measure again, then WebGPU
 * picked by hand) answers only after that, in ~10–20 s on SwiftShader. Still a limit: one that
 * never answers falls back, with the reason on screen.
 */
export const NAMED_START_MS = 45_000;

/** Images per view in the encoder workload at most (the default run's batch). */
const MAX_VIEW_IMAGES = 32;

/** Images in each of the encoder workload's two views. */
function viewImages(w: WorkloadShape): number {
  return Math.min(MAX_VIEW_IMAGES, Math.max(1, Math.floor(w.batch / 2)));
}

/** One forward + backward of the run's encoder (training-mode BN) on the batch's two views, under a dense layer, as one scalar. */
function encoderWorkload(w: WorkloadShape & { model: Config['model'] }, seed: number): tf.Scalar {
  return tf.tidy(() => {
    const spec = resnetSpec(w.model, w.size, w.size, w.channels);
    const { params } = initResNet(spec, seed);
    const names = Object.keys(params);
    const view = () => tf.randomUniform([viewImages(w), w.size, w.size, w.channels], 0, 1, 'float32', seed) as tf.Tensor4D;
    const views = [view(), view()];
    const d = tf.randomNormal([spec.featureDim, w.hidden], 0, 0.1, 'float32', seed + 1);
    const f = (...ps: tf.Tensor[]) => {
      const branch = { params: Object.fromEntries(names.map((n, i) => [n, ps[i]])) };
      const hs = forwardResNet(spec, [branch, branch], views, { training: true });
      return tf.addN(hs.map((h) => tf.sum(tf.square(tf.matMul(h, ps[names.length] as tf.Tensor2D)))));
    };
    const grads = freeingTapeOnError(() => tf.grads(f)([...names.map((n) => params[n]), d]));
    // One add per gradient, as an optimizer touches each (addN of all would exceed WebGPU's storage-buffer limit).
    return grads.map((g) => tf.sum(g)).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
  });
}

/** The run's encoder when the shape names one (encoderWorkload), else conv3×3 → conv3×3 → mean pool → dense; forward + backward, as one scalar. */
export function calibrationWorkload(w: WorkloadShape, seed: number): tf.Scalar {
  if (w.model) return encoderWorkload({ ...w, model: w.model }, seed);
  return tf.tidy(() => {
    const x = tf.randomUniform([w.batch, w.size, w.size, w.channels], 0, 1, 'float32', seed) as tf.Tensor4D;
    const k1 = tf.randomNormal([3, 3, w.channels, w.width], 0, 0.1, 'float32', seed + 1);
    const k2 = tf.randomNormal([3, 3, w.width, w.width], 0, 0.1, 'float32', seed + 2);
    const d = tf.randomNormal([w.width, w.hidden], 0, 0.1, 'float32', seed + 3);
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h1 = tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same'));
      const h2 = tf.relu(tf.conv2d(h1 as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
      return tf.sum(tf.square(tf.matMul(tf.mean(h2, [1, 2]) as tf.Tensor2D, c as tf.Tensor2D)));
    };
    const grads = freeingTapeOnError(() => tf.grads(f)([k1, k2, d]));
    return tf.addN(grads.map((g) => tf.sum(g))) as tf.Scalar;
  });
}

/**
 * Resolves true when `p` settles before `deadline` (a `now()` time), false when the deadline
 * comes first; `p` is left to finish on its own then (its rejection is swallowed).
 */
async function before<T>(p: Promise<T>, deadline: number): Promise<boolean> {
  if (deadline === Infinity) return p.then(() => true);
  return withinLimit(p, Math.max(0, deadline - now()), '').then(
    () => true,
    (e: unknown) => {
      if (e instanceof LimitExceeded) return false;
      throw e;
    },
  );
}

/**
 * One workload run, read back; false when the deadline came first. A run left behind keeps
 * its scalar until its read settles (disposed then: WebGPU's read writes into the tensor's
 * record, so it cannot be disposed under a pending read); `leftBehind` counts such scalars.
 */
async function workloadOnce(w: WorkloadShape, seed: number, deadline = Infinity): Promise<boolean> {
  const loss = calibrationWorkload(w, seed);
  const read = loss.data();
  let done: boolean;
  try {
    done = await before(read, deadline);
  } catch (e) {
    // A failed read (a device or context lost) is that backend's reason, not a leak to report.
    loss.dispose();
    throw e;
  }
  if (done) loss.dispose();
  else {
    leftBehind++;
    read
      .finally(() => {
        loss.dispose();
        leftBehind--;
      })
      .catch(() => {});
  }
  return done;
}

/**
 * Scalars of cut-off runs not yet disposed, over all calibrations in this runtime: one left
 * behind by an earlier calibration may be disposed during a later one, which must not
 * count as a negative leak there.
 */
let leftBehind = 0;

/**
 * Until the pipelines compiling now are built, stored in tfjs' pipeline cache by key.
 * tfjs' own checkCompileCompletionAsync maps its results back by position over the keys
 * present when it *finishes*: one left pending by a cut-off calibration would then write
 * `undefined` over pipelines added since (seen as "reading 'getBindGroupLayout'" in the next
 * calibration in the same process). So the keys are captured when the wait begins.
 */
function pipelinesBuilt(backend: unknown): Promise<void> {
  const b = backend as { pipelineCache?: Record<string, unknown>; checkCompileCompletionAsync?: () => Promise<void> };
  const cache = b.pipelineCache;
  if (!cache) return b.checkCompileCompletionAsync?.() ?? Promise.resolve();
  const keys = Object.keys(cache).filter((k) => cache[k] instanceof Promise);
  const waiting = keys.map((k) => cache[k]);
  return Promise.all(waiting).then((built) =>
    keys.forEach((k, i) => {
      if (cache[k] === waiting[i]) cache[k] = built[i];
    }),
  );
}

/**
 * WebGPU: build the workload's pipelines without running it (tfjs' parallel compilation),
 * so that compilation — seconds on a software adapter — can be raced against a deadline.
 * False when the deadline came first.
 */
async function compileWebGPU(w: WorkloadShape, deadline: number): Promise<boolean> {
  const backend = tf.backend() as unknown as { checkCompileCompletionAsync?: () => Promise<void> };
  if (!backend.checkCompileCompletionAsync) return true;
  tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
  try {
    calibrationWorkload(w, 1).dispose();
  } finally {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
  }
  return before(pipelinesBuilt(backend), deadline);
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Host backends first: they are cheap to time and give the GPUs a figure to beat. */
const measureRank = (b: BackendName) => (b === 'webgpu' ? 2 : b === 'webgl' ? 1 : 0);

/**
 * Time `candidates` within about `budgetMs` in all. Host and hardware backends get a share
 * each (at least one timed repetition after warm-up, two when the warm-up left time for
 * them); a software GPU adapter gets what is left of the budget as a hard deadline (see
 * the file header). Backends that cannot start are reported with their reason.
 * Results come in `candidates` order. tfjs is left on the last one tried.
 */
export async function measureBackends(candidates: BackendName[], shape: WorkloadShape = DEFAULT_WORKLOAD, budgetMs = 3000, limits: CalibrationLimits = LIMITS): Promise<BackendTiming[]> {
  const t0 = now();
  // 10% of the budget is kept for initialising the chosen backend afterwards.
  const deadline = t0 + 0.9 * budgetMs;
  // Host backends share 40% of the budget when a GPU is to be timed after them (at most
  // 90% alone); a hardware GPU gets an equal share of the whole, a software one what is left.
  const gpus = candidates.filter((b) => measureRank(b) > 0).length;
  const hosts = candidates.length - gpus;
  const shareOf = (b: BackendName) => (measureRank(b) > 0 || gpus === 0 ? (0.9 * budgetMs) / candidates.length : (0.4 * budgetMs) / hosts);
  const byBackend = new Map<BackendName, BackendTiming>();
  const order = [...candidates].sort((a, b) => measureRank(a) - measureRank(b));
  // Two or more host backends: each is first timed on half its share, then the rest of their
  // repetitions alternate between them (interleaveHosts), so a burst of load on a shared
  // machine, or wasm's code tiering up in its first second, weighs on each alike rather than
  // on whichever was timed during it (a page under CI load chose wasm at 111 ms over cpu at
  // 156, each 5–9× its quiet figure, and trained at half cpu's quiet rate).
  const hostsInOrder = order.filter((b) => measureRank(b) === 0);
  const interleave = hostsInOrder.length > 1;
  const hostReps = new Map<BackendName, number[]>();
  let interleaved = !interleave;
  const interleaveNow = async () => {
    interleaved = true;
    await interleaveHosts(byBackend, hostReps, shape, hostsInOrder.reduce((a, b) => a + shareOf(b) / 2, 0), limits.measureMs);
  };
  for (const [i, backend] of order.entries()) {
    if (!interleaved && measureRank(backend) > 0) await interleaveNow();
    let report;
    try {
      report = await withinLimit(initBackend([backend]), limits.startMs, `starting ${backend}`);
    } catch (e) {
      // Given up on (now, or earlier in this worker): it must neither switch tfjs to this
      // backend when it finishes nor keep later starts waiting, and it is no verdict on it.
      const timedOut = e instanceof LimitExceeded || wasGivenUp(backend);
      if (e instanceof LimitExceeded) giveUpStart(backend);
      const reason = (e as Error).message.replace(/^no tfjs backend could start: /, '');
      const transient = !timedOut && isGpu(backend) && !ABSENT.test(reason);
      byBackend.set(backend, { backend, adapter: '', software: false, ms: null, warmupMs: null, reason, ...(timedOut ? { startTimedOut: true } : {}), ...(transient ? { transientFailure: true } : {}) });
      continue;
    }
    const base = { backend, adapter: report.adapter, software: report.softwareAdapter };
    const before0 = tf.memory().numTensors - leftBehind;
    try {
      // A software GPU's deadline: its part of what is left, shared with the GPUs still to time.
      const gpusLeft = order.slice(i).filter((b) => measureRank(b) > 0).length;
      const own = now() + (deadline - now()) / Math.max(1, gpusLeft);
      const hard = now() + limits.measureMs;
      const raced = deadlineShape(backend, shape);
      const lighter = report.softwareAdapter && raced !== shape ? { lighter: true } : {};
      byBackend.set(backend, {
        ...(report.softwareAdapter
          ? await timeAgainstDeadline(base, raced, own, budgetMs)
          : interleave && measureRank(backend) === 0
            ? await timeWithin(base, shape, shareOf(backend) / 2, hard, limits.measureMs, hostReps)
            : await timeWithin(base, shape, shareOf(backend), hard, limits.measureMs)),
        ...lighter,
      });
    } catch (e) {
      // A hardware GPU's failure mid-workload (a device lost) is no verdict; a software one loses anyway.
      byBackend.set(backend, { ...base, ms: null, warmupMs: null, reason: `the workload failed: ${(e as Error).message}`, ...(isGpu(backend) && !report.softwareAdapter ? { transientFailure: true } : {}) });
    }
    const leaked = tf.memory().numTensors - leftBehind - before0;
    if (leaked !== 0) throw new Error(`backend calibration leaked ${leaked} tensors on ${backend}`);
  }
  if (!interleaved) await interleaveNow();
  return candidates.map((b) => byBackend.get(b)!);
}

/**
 * The second half of the host backends' repetitions, one of each in turn for `shareMs` in all,
 * each backend's figure then the median of all its repetitions. Only hosts timed in full by
 * then (a start that failed, a warm-up past the limit: left as they are). tfjs is left on the
 * last host timed.
 */
async function interleaveHosts(byBackend: Map<BackendName, BackendTiming>, reps: Map<BackendName, number[]>, shape: WorkloadShape, shareMs: number, limitMs: number): Promise<void> {
  const hosts = [...reps.keys()].filter((b) => (reps.get(b)?.length ?? 0) > 0 && byBackend.get(b)?.ms !== null);
  if (hosts.length < 2) return;
  const until = now() + shareMs;
  const hard = now() + limitMs;
  const before0 = tf.memory().numTensors - leftBehind;
  try {
    for (let round = 0; round < 12 && now() < until; round++) {
      for (const b of hosts) {
        if (!(await tf.setBackend(b))) return;
        const t = now();
        if (!(await workloadOnce(shape, 20 + round, hard))) return;
        reps.get(b)!.push(now() - t);
      }
    }
  } catch {
    return; // a host that fails now keeps the figure of its first half
  }
  for (const b of hosts) byBackend.set(b, { ...byBackend.get(b)!, ms: median(reps.get(b)!) });
  const leaked = tf.memory().numTensors - leftBehind - before0;
  if (leaked !== 0) throw new Error(`backend calibration leaked ${leaked} tensors while alternating ${hosts.join(' and ')}`);
}

type TimingBase = Pick<BackendTiming, 'backend' | 'adapter' | 'software'>;

const isGpu = (b: BackendName) => b === 'webgpu' || b === 'webgl';
/** Start failures that say the GPU is absent here (backend.ts's reasons): final, unlike an exception while starting. */
const ABSENT = /not available here|no adapter was granted|could not initialise/;

/**
 * The workload a software adapter is raced with. WebGL compiles its programs synchronously
 * inside the first run (tfjs' compile-only mode broke the run after it), so the run's whole
 * encoder overshot the page's 3 s by a second (3.7 s): a software WebGL gets the two-conv
 * workload. Its time is then a lower bound on the encoder's, and a software adapter loses by
 * 10–100× at the playground's sizes. WebGPU compiles apart (compileWebGPU) and keeps the encoder.
 */
function deadlineShape(backend: BackendName, shape: WorkloadShape): WorkloadShape {
  if (backend !== 'webgl' || !shape.model) return shape;
  const { model: _model, ...convsOnly } = shape;
  return convsOnly;
}

/**
 * A warm-up run, then timed runs while this backend's share of the budget lasts (≥ 1), all
 * before the hard deadline `hard` (cut off like a software adapter when it passes).
 */
async function timeWithin(base: TimingBase, shape: WorkloadShape, share: number, hard: number, limitMs: number, keepReps?: Map<BackendName, number[]>): Promise<BackendTiming> {
  const t0 = now();
  // overMs: how long the part cut off had run. Only a timed repetition's is a lower bound on
  // a step (the speed-up notice uses it); the warm-up's includes compiling shaders.
  const cut = (what: string, since: number, inWarmUp: boolean): BackendTiming => {
    const overMs = now() - since;
    return { ...base, ms: null, warmupMs: null, overMs, reason: `${what} had not finished ${formatMs(overMs)} after it began (limit ${formatMs(limitMs)})`, ...(inWarmUp ? { cutInWarmUp: true } : {}) };
  };
  if (!(await workloadOnce(shape, 1, hard))) return cut('the warm-up workload', t0, true);
  const warmupMs = now() - t0;
  // A host backend runs the workload synchronously, so the race above cannot cut it: one that
  // came back past the limit is timed by that run alone (nothing to compile on a host), not
  // run again for as long (a wide model on cpu took two or more runs past every limit).
  if (!isGpu(base.backend) && now() > hard) return { ...base, ms: warmupMs, warmupMs };
  const reps: number[] = [];
  const start = now();
  // Two timed repetitions at least, unless the warm-up alone used up this backend's share
  // (shaders compiling): then one says enough and keeps the total near budget.
  const minReps = warmupMs > share ? 1 : 2;
  while (reps.length < minReps || (reps.length < 12 && now() - start + warmupMs < share)) {
    const t = now();
    if (!(await workloadOnce(shape, 2 + reps.length, hard))) {
      if (reps.length === 0) return cut('one training workload', t, false);
      break;
    }
    reps.push(now() - t);
    if (now() > hard) break;
  }
  keepReps?.set(base.backend, reps);
  return { ...base, ms: median(reps), warmupMs };
}

/**
 * A software adapter: compile (WebGPU: without running), then timed runs, all before
 * `deadline`. WebGPU's first run counts (compiled apart); WebGL compiles inside its first
 * run, which is then its warm-up. Cut off: ms null, overMs the time it had, and a reason that says so.
 */
async function timeAgainstDeadline(base: TimingBase, shape: WorkloadShape, deadline: number, budgetMs: number): Promise<BackendTiming> {
  const start = now();
  // overMs as in timeWithin: from the start of the part cut off. WebGL compiles inside its
  // first run, so a first run cut off there bounds compilation, not a step.
  const cut = (what: string, since: number, inWarmUp: boolean): BackendTiming => {
    const overMs = now() - since;
    return {
      ...base,
      ms: null,
      warmupMs: null,
      overMs,
      reason: `${what} had not finished ${formatMs(overMs)} after it began, at the end of the ${formatMs(budgetMs)} calibration budget`,
      ...(inWarmUp ? { cutInWarmUp: true } : {}),
    };
  };
  // The host backends used the budget up: compiling (seconds on a software adapter) would
  // only overrun it, for a backend that loses to them by 10–100× anyway.
  if (deadline <= start) return { ...base, ms: null, warmupMs: null, notTimed: true, reason: `not timed: the ${formatMs(budgetMs)} calibration budget was spent before its turn` };
  if (base.backend === 'webgpu' && !(await compileWebGPU(shape, deadline))) return cut('compiling its shaders', start, true);
  const warmupMs = now() - start;
  // WebGL compiles inside its first run: that run is its warm-up, and only the runs after it
  // time the workload (counted in, the compile made a "lower bound" that was none).
  const warmUpRuns = base.backend === 'webgl' ? 1 : 0;
  const reps: number[] = [];
  while (reps.length < 3 + warmUpRuns) {
    const t = now();
    if (!(await workloadOnce(shape, 2 + reps.length, deadline))) {
      if (reps.length === 0) return cut('one training workload', t, base.backend !== 'webgpu');
      break;
    }
    reps.push(now() - t);
    // Another run only if it fits before the deadline at the pace seen so far.
    if (now() + reps[reps.length - 1] > deadline) break;
  }
  if (reps.length <= warmUpRuns) {
    // Only the compiling run fitted: it bounds compilation, not a step (as a cut-off warm-up).
    return { ...base, ms: null, warmupMs: null, overMs: reps[0], cutInWarmUp: true, reason: `only its first run, which compiles its programs (${formatMs(reps[0])}), fitted in the ${formatMs(budgetMs)} calibration budget` };
  }
  return { ...base, ms: median(reps.slice(warmUpRuns)), warmupMs: warmupMs + reps.slice(0, warmUpRuns).reduce((a, b) => a + b, 0) };
}


/**
 * Ranks timings: measured on the run's encoder before timed on the lighter two-conv
 * workload (its figure is a lower bound with a tenth of a step's ops: a software WebGL can
 * win on it and then train far slower), then by ms.
 */
function faster(a: BackendTiming, b: BackendTiming): number {
  return Number(Boolean(a.lighter)) - Number(Boolean(b.lighter)) || (a.ms ?? Infinity) - (b.ms ?? Infinity);
}

/** The fastest measured backend (a lighter-workload figure only when nothing else was measured); ties go to the earlier candidate. Throws when none could run. */
export function fastest(timings: BackendTiming[]): BackendName {
  let best: BackendTiming | undefined;
  for (const t of timings) if (t.ms !== null && (!best || faster(t, best) < 0)) best = t;
  if (!best) throw new Error(`no backend could run the calibration workload: ${timings.map((t) => `${t.backend}: ${t.reason ?? 'failed'}`).join('; ')}`);
  return best.backend;
}

/** The candidates ordered as `fastest` ranks them (unmeasurable ones last): an initBackend order with fallbacks. */
export function orderByTiming(timings: BackendTiming[]): BackendName[] {
  return [...timings].sort((a, b) => (a.ms === null || b.ms === null ? (a.ms ?? Infinity) - (b.ms ?? Infinity) : faster(a, b))).map((t) => t.backend);
}

/** One line for a notice or a log: "webgpu (software adapter) 310 ms, cpu 12 ms — using cpu". */
export function describeCalibration(c: Pick<Calibration, 'timings' | 'chosen'>): string {
  const lighter = (t: BackendTiming) => (t.lighter ? ` (${LIGHTER_WORKLOAD_NOTE})` : '');
  const parts = c.timings.map((t) =>
    t.notTimed
      ? `${t.backend}${t.software ? ' (software adapter)' : ''} not timed (the budget was spent before its turn)`
      : t.overMs !== undefined
      ? `${t.backend}${t.software ? ' (software adapter)' : ''} over ${formatMs(t.overMs)}, cut off${t.cutOffTwice ? ' (as on the last load: kept until Measure again)' : ''}${lighter(t)}`
      : t.ms === null
        ? `${t.backend}: unavailable (${t.reason ?? 'failed'})`
        : `${t.backend}${t.software ? ' (software adapter)' : ''} ${formatMs(t.ms)}${lighter(t)}`,
  );
  const gain = speedupOverSlowest(c);
  return `${parts.join(', ')} — using ${c.chosen}${gain ? ` (${describeSpeedup(gain)})` : ''}`;
}

/** A calibration is reused only on the same device: same browser/runtime, cores and adapters. */
export function deviceKey(runtime: string, cores: number, adapters: string[]): string {
  return JSON.stringify([runtime, cores, ...adapters]);
}

const ADAPTER_NOT_ANSWERING = 'WebGPU adapter not answering';

/** This runtime's device key: the user agent (or Node version), cores and WebGPU adapter. */
export async function currentDevice(limitMs = LIMITS.adapterMs): Promise<string> {
  const nav = (globalThis as { navigator?: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  const proc = (globalThis as { process?: { version?: string; platform?: string } }).process;
  const runtime = nav?.userAgent ?? `node ${proc?.version ?? '?'} ${proc?.platform ?? ''}`;
  const adapter = await withinLimit(webgpuAdapterLabel(), limitMs, 'the WebGPU adapter request').catch(() => ADAPTER_NOT_ANSWERING);
  return deviceKey(runtime, nav?.hardwareConcurrency ?? 0, [adapter]);
}

/**
 * Which of `cached`'s timings may be reused on `device`: all of them on the same device;
 * when only this load's adapter request did not answer in time (a GPU process still busy,
 * e.g. compiling the shaders a cut-off calibration left behind, answers late on a loaded
 * machine) the same browser on the same cores is the same device, but its WebGPU timing is
 * not reused (WebGPU may not start now, and only measured backends are tried); on another
 * device, none.
 */
export function reusableTimings(cached: Calibration, device: string): BackendTiming[] {
  const parse = (k: string): unknown[] | undefined => {
    try {
      const v: unknown = JSON.parse(k);
      return Array.isArray(v) ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const [was, is] = [parse(cached.device), parse(device)];
  const notAnswering = is !== undefined && is.length > 2 && is.slice(2).every((a) => a === ADAPTER_NOT_ANSWERING);
  // Also when the calibration was itself saved on a load whose adapter answered late: its
  // WebGPU figure is no promise that WebGPU starts now (it waited out its start limit).
  if (cached.device === device && !notAnswering) return cached.timings;
  const sameHost = was && is && was.length === is.length && was[0] === is[0] && was[1] === is[1];
  if (!sameHost || !notAnswering) return [];
  return cached.timings.map((t) => {
    if (t.backend !== 'webgpu') return t;
    // Set aside is not "cut off": a start that timed out, or failed in passing, on the load
    // that saved this would make the whole calibration provisional, and every load whose
    // adapter hangs would start WebGPU again and wait out its start limit.
    const { startTimedOut: _s, transientFailure: _f, ...rest } = t;
    return { ...rest, ms: null, overMs: undefined, setAside: true, reason: `its adapter did not answer in time on this load, so it is not started now (measured earlier: ${t.ms !== null ? formatMs(t.ms) : t.reason ?? 'unavailable'}; tried again on the next load)` };
  });
}

/** A hardware GPU cut off while measured: a first shader compilation on a busy load, or slow for good. */
const hardwareCutOff = (t: BackendTiming) => isGpu(t.backend) && t.overMs !== undefined && !t.software;

/**
 * Whether a cached timing says nothing final about its backend, so the calibration holding it
 * is measured again: a start cut off by its limit, a GPU that failed in passing, a hardware
 * GPU cut off while measured (a GPU process busy on that load), unless that happened on two
 * loads in a row. A software adapter cut off by the budget is final: it loses to the host
 * backends by 10–100×.
 */
export function isProvisional(t: BackendTiming): boolean {
  return t.startTimedOut === true || t.transientFailure === true || (hardwareCutOff(t) && t.cutOffTwice !== true);
}

/**
 * A GPU that failed in passing, or a hardware GPU cut off, on the last load and again now is
 * no longer in passing: kept as a verdict (until Measure again), or a GPU whose backend always
 * fails, or that always needs more than the measure limit (15 s), would have every load
 * measure everything again.
 */
export function failedTwiceIsFinal(now: BackendTiming[], before: BackendTiming[]): BackendTiming[] {
  return now.map((t) => {
    const was = before.find((b) => b.backend === t.backend);
    if (was && hardwareCutOff(t) && hardwareCutOff(was)) return { ...t, cutOffTwice: true };
    // A start that failed or passed its limit, on the last load and again now (a GPU process
    // that stays wedged): else every load would wait on that start and measure all again.
    const inPassing = (x: BackendTiming | undefined) => x?.transientFailure === true || x?.startTimedOut === true;
    if (!inPassing(t) || !inPassing(was)) return t;
    const { transientFailure: _f, startTimedOut: _s, ...rest } = t;
    return { ...rest, reason: `${t.reason} (as on the last load: kept as a verdict until Measure again)` };
  });
}

/** Cached timings with the backends that did not start on this load marked in passing (their figures dropped). */
export function notStartedNow(timings: BackendTiming[], fallbacks: BackendReport['fallbacks']): BackendTiming[] {
  return timings.map((t) => {
    const f = fallbacks.find((x) => x.backend === t.backend);
    if (!f || t.ms === null) return t;
    const timedOut = /did not finish within|passed its time limit/.test(f.reason);
    return { ...t, ms: null, warmupMs: null, reason: `measured on an earlier load, but did not start on this one: ${f.reason}`, ...(timedOut ? { startTimedOut: true } : { transientFailure: true }) };
  });
}

/**
 * Measure `candidates` (or reuse `cached` when it was measured on this very device), then
 * initialise the fastest, with the others as fallbacks in order of speed.
 */
export async function chooseBackend(
  candidates: BackendName[],
  opts: { cached?: Calibration; shape?: WorkloadShape; budgetMs?: number; limits?: CalibrationLimits } = {},
): Promise<BackendReport> {
  const t0 = now();
  const limits = opts.limits ?? LIMITS;
  const device = await currentDevice(limits.adapterMs);
  const workload = workloadKey(opts.shape ?? DEFAULT_WORKLOAD);
  const sameWorkload = opts.cached?.workload === workload;
  const cachedTimings = opts.cached && sameWorkload ? reusableTimings(opts.cached, device).filter((t) => candidates.includes(t.backend)) : [];
  const measure = () => measureBackends(candidates, opts.shape, opts.budgetMs, limits);
  const startFastest = (ts: BackendTiming[]) => {
    fastest(ts); // throws with every reason when nothing could run
    // Only what was measured is tried: a backend that did not start in time would hang again.
    return initBackend(orderByTiming(ts.filter((t) => t.ms !== null)), { startMs: limits.startMs });
  };
  let reuse = cachedTimings.some((t) => t.ms !== null) && !cachedTimings.some(isProvisional);
  let timings = reuse ? cachedTimings : failedTwiceIsFinal(await measure(), cachedTimings);
  let report = await startFastest(timings);
  const was = reuse ? timings.find((t) => t.backend === report.backend) : undefined;
  if (was && was.software !== report.softwareAdapter) {
    // Another adapter under the same device key (WebGL now in software: acceleration turned
    // off, a GPU blocklisted after a driver crash): the cached figures are not of it.
    reuse = false;
    timings = await measure();
    report = await startFastest(timings);
  }
  // A kept winner that did not start on this load (a wedged GPU process, a failing driver):
  // marked in passing and stored again (`changed`), so the next load measures again (and a
  // second failure is kept as a verdict, failedTwiceIsFinal), rather than every load waiting
  // on it. The figures are still the kept ones: said as measured earlier.
  const changed = reuse && report.fallbacks.length > 0;
  if (changed) timings = notStartedNow(timings, report.fallbacks);
  report.calibration = { timings, cached: Boolean(reuse), ...(changed ? { changed: true } : {}), at: reuse ? opts.cached!.at : new Date().toISOString(), device, workload, ms: now() - t0 };
  return report;
}

/** The calibration as stored for reuse (localStorage in the page). */
export function calibrationOf(report: BackendReport): Calibration | undefined {
  const c = report.calibration;
  return c ? { device: c.device, workload: c.workload, timings: c.timings, chosen: report.backend, at: c.at } : undefined;
}
