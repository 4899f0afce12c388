// `npm run bench` — time training steps of every preset in one process, on the backend
// tfjs runs now. Pure engine code (no node:, no DOM): the Node CLI (src/cli/bench.ts) and
// the bench page (bench.html → src/bench/main.ts) call the same functions.
//
// How a state is timed:
// - One Trainer per preset, all alive at once, started at the step of the state:
//   'end'  = the last update step of the preset's schedules (masks and gates at their
//            final densities; the mask update due there runs in the warm-up);
//   'ramp' = the last update step at or before the middle of the schedule window (u ≈ ½),
//            so the measured steps see intermediate densities and updates at the preset's
//            own cadence. Dense presets start at 0 (their steps do not depend on it).
// - Round robin, interleaved: each round runs one step of every preset, in an order that
//   rotates by one every round, so drift (thermal, GC, other load) hits all alike.
// - `warmup` rounds first (shader compilation, the first mask update), not measured.
// - msPerStep is the median over the measured steps, with p25–p75 and the mean (which
//   carries the occasional mask-update step that the median leaves out). ratioToDense is
//   the median over rounds of this preset's time / its dense counterpart's time in the
//   same round (the dense run of the same recipe: denseCounterpart), so drift cancels in pairs.
// - flopsRatio and GFLOP/s use Trainer.flops with each measured step's read-back
//   metrics (the densities actually applied), averaged over the measured steps; so are the
//   densities a row shows. In the ramp the measured steps pass the updates after its start
//   (a tiny host bench's 100 rounds reach the window's end), so its row shows their mean.
// - Memory: tf.memory() right before the preset's first measured step and right after
//   its last, and `tensorGrowth`, the sum over its own steps of numTensors after − before.
import * as tf from '@tensorflow/tfjs';
import { buildConfig, isPresetName, mergeConfig, PRESET_NAMES, type Config } from './config';
import type { Dataset } from './data/types';
import type { UpdateWindow } from './sparsity/schedule';
import { scheduleOf, type BranchPair } from './sparsity/scheduleOf';
import { Trainer, type StepResult } from './trainer';
import { gpuWorkDone } from './gpuWorkDone';
import { BENCH_STATES, type BenchMemory, type BenchRow, type BenchState, type LongResult, type MemoryReading } from './benchTable';
// The rows' types and the tables live in benchTable.ts (no tfjs); existing imports of them from here keep working.
export * from './benchTable';

export interface BenchOptions {
  presets: readonly string[];
  tiny: boolean;
  states?: readonly BenchState[];
  /** Measured rounds (one step of every preset each); default 20 tiny (100 on cpu and wasm), 5 default size. */
  rounds?: number;
  /** Unmeasured rounds first; default 2. */
  warmup?: number;
  /** The data the trainers draw batches from (shapes at the size of the configs). */
  dataset: Dataset;
  /** Config fragment applied over every preset (after --tiny). */
  overrides?: unknown;
  onProgress?: (p: BenchProgress) => void;
  /** Clock in ms; default performance.now. */
  now?: () => number;
  /** Waits, inside a step's timed region, for the GPU work the step queued after its readback; default gpuWorkDone (tests inject). */
  settle?: () => Promise<void>;
}

export interface BenchProgress {
  state: BenchState;
  /** Steps run so far in this state (warm-up included) and in all. */
  done: number;
  total: number;
  preset: string;
  warmup: boolean;
}

/** A config with its sparsity taken out, as text: equal for two runs that differ only in SyncCP, CDG and the kernels. */
function recipeOf(c: Config): string {
  return JSON.stringify({ ...c, syncp: null, cdg: null, kernels: null });
}

/**
 * What a preset's time is compared with: itself if it is dense; else the dense preset whose
 * recipe it shares (cdg → simclr-dense, the SyncCP presets → byol-dense); else, for a preset
 * with a recipe of its own (syncp-reference: batch 32, m₀ 0.99, lr 2e-3), `name@dense`: the
 * same preset with its sparsity removed. A ratio over a dense run of another recipe (another
 * batch) would measure the recipe, not the sparsity.
 */
export function denseCounterpart(preset: string, tiny: boolean, overrides?: unknown): string {
  const config = benchConfig(preset, tiny, overrides);
  if (!config.syncp && !config.cdg) return preset;
  const mine = recipeOf(config);
  const same = PRESET_NAMES.find((p) => {
    const c = benchConfig(p, tiny, overrides);
    return !c.syncp && !c.cdg && recipeOf(c) === mine;
  });
  return same ?? splitVariant(preset).name + DENSE_SUFFIX;
}

/** The update windows of the run's schedules, as the plugins run them (scheduleOf). */
function windows(config: Config): UpdateWindow[] {
  const plan = scheduleOf(config);
  return [plan.syncp?.window, plan.cdg?.window].filter((w): w is UpdateWindow => w !== undefined);
}

/**
 * The trainer step at which a preset's timed steps start in `state` (see the file header):
 * 'end' the last update step of its windows, 'ramp' the last update step at or before the
 * middle of the window; 0 without sparsity.
 */
export function stateStartStep(config: Config, state: BenchState): number {
  const ws = windows(config);
  if (ws.length === 0) return 0;
  return Math.max(
    ...ws.map((w) => {
      if (state === 'end') return w.end;
      const mid = w.start + (w.end - w.start) / 2;
      return w.start + Math.floor((mid - w.start) / w.every) * w.every;
    }),
  );
}

/** A preset name, `name@off`: the same preset with the sparse kernels off (timed beside it), or `name@dense`: without its sparsity. */
const OFF_SUFFIX = '@off';
const DENSE_SUFFIX = '@dense';

function splitVariant(preset: string): { name: string; off: boolean; dense: boolean } {
  if (preset.endsWith(OFF_SUFFIX)) return { name: preset.slice(0, -OFF_SUFFIX.length), off: true, dense: false };
  if (preset.endsWith(DENSE_SUFFIX)) return { name: preset.slice(0, -DENSE_SUFFIX.length), off: false, dense: true };
  return { name: preset, off: false, dense: false };
}

/**
 * The validated config of a preset at a size, with overrides (`name@off`: sparse kernels
 * off; `name@dense`: without SyncCP and CDG). An override of a method's block (`cdg`,
 * `syncp`) applies only to presets that run that method (a dense preset would otherwise
 * switch it on).
 */
export function benchConfig(preset: string, tiny: boolean, overrides?: unknown): Config {
  const { name, off, dense } = splitVariant(preset);
  let kept = overrides;
  if (overrides && typeof overrides === 'object') {
    const base = buildConfig({ preset: name, tiny });
    kept = Object.fromEntries(Object.entries(overrides).filter(([k]) => !((k === 'cdg' || k === 'syncp') && !(base as Record<string, unknown>)[k])));
  }
  if (off || dense) kept = mergeConfig(kept ?? {}, off ? { kernels: { sparse: 'off' } } : { syncp: null, cdg: null });
  return buildConfig({ preset: name, tiny, overrides: kept });
}

/** Presets as asked, plus the dense counterparts they are compared with, in PRESET_NAMES order (a `@dense` variant before its preset, `@off` after). */
export function withDenseCounterparts(presets: readonly string[], tiny: boolean, overrides?: unknown): string[] {
  for (const p of presets) if (!isPresetName(splitVariant(p).name)) throw new Error(`unknown preset "${p}" (known: ${PRESET_NAMES.join(', ')})`);
  const set = new Set(presets);
  for (const p of presets) set.add(denseCounterpart(p, tiny, overrides));
  return PRESET_NAMES.flatMap((p) => [p + DENSE_SUFFIX, p, p + OFF_SUFFIX]).filter((p) => set.has(p));
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function stats(xs: readonly number[]): { median: number; p25: number; p75: number; mean: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p25: quantile(s, 0.25), p75: quantile(s, 0.75), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), min: s[0] ?? NaN };
}

function memoryNow(): { tensors: number; bytes: number; gpuBytes?: number } {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return { tensors: m.numTensors, bytes: m.numBytes, ...(typeof m.numBytesInGPU === 'number' ? { gpuBytes: m.numBytesInGPU } : {}) };
}

interface Slot {
  preset: string;
  config: Config;
  trainer: Trainer;
  dense: string;
  ms: number[];
  effective: number[];
  dense0: number;
  /** Per-layer densities read back with each measured step, summed (averaged at the end). */
  densitySum: { weight: Record<string, BranchPair>; gate: Record<string, BranchPair> };
  last?: StepResult;
  memStart?: ReturnType<typeof memoryNow>;
  memEnd?: ReturnType<typeof memoryNow>;
  growth: number;
}

/** Add one measured step's read-back densities to the slot's sums. */
function addDensities(slot: Slot, metrics: Record<string, Float32Array>): void {
  const add = (into: Record<string, BranchPair>, d: Record<string, BranchPair> | undefined) => {
    for (const [k, v] of Object.entries(d ?? {})) {
      const s = (into[k] ??= { online: 0, target: 0 });
      s.online += v.online;
      s.target += v.target;
    }
  };
  for (const p of slot.trainer.plugins) {
    add(slot.densitySum.weight, p.weightDensity?.(metrics));
    add(slot.densitySum.gate, p.gateDensity?.(metrics));
  }
}

/** Time one state of every preset, interleaved (see the file header). */
export async function benchState(state: BenchState, opts: BenchOptions): Promise<BenchRow[]> {
  const now = opts.now ?? (() => performance.now());
  const settle = opts.settle ?? gpuWorkDone;
  // A tiny round on the host backends takes ~0.25 s, and 20 of them left a ratio's median
  // moving by ±0.05 between runs (cdg × simclr-dense 1.08-1.17 at 40 rounds, 1.085-1.105 at 300).
  const host = ['cpu', 'wasm'].includes(tf.getBackend());
  const rounds = opts.rounds ?? (opts.tiny ? (host ? 100 : 20) : 5);
  const warmup = opts.warmup ?? 2;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer (got ${rounds})`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`warmup must be a non-negative integer (got ${warmup})`);
  const presets = withDenseCounterparts(opts.presets, opts.tiny, opts.overrides);
  const slots: Slot[] = [];
  try {
    for (const preset of presets) {
      const config = benchConfig(preset, opts.tiny, opts.overrides);
      const trainer = new Trainer(config, opts.dataset);
      trainer.startAt(stateStartStep(config, state));
      slots.push({ preset, config, trainer, dense: denseCounterpart(preset, opts.tiny, opts.overrides), ms: [], effective: [], dense0: 0, densitySum: { weight: {}, gate: {} }, growth: 0 });
    }
    const total = (warmup + rounds) * slots.length;
    let done = 0;
    const roundMs: Map<string, number>[] = [];
    for (let r = 0; r < warmup + rounds; r++) {
      const measured = r >= warmup;
      const times = new Map<string, number>();
      for (let k = 0; k < slots.length; k++) {
        const slot = slots[(k + r) % slots.length];
        opts.onProgress?.({ state, done, total, preset: slot.preset, warmup: !measured });
        const before = memoryNow();
        if (measured && !slot.memStart) slot.memStart = before;
        const t0 = now();
        const res = await slot.trainer.trainStep();
        // The step's own queued GPU work (its update, EMAs, a regrowth pass) in its own time:
        // left, it ran in the next preset's timed step (the rotation keeps who comes next).
        await settle();
        const dt = now() - t0;
        const after = memoryNow();
        done++;
        if (!measured) continue;
        slot.memEnd = after;
        slot.growth += after.tensors - before.tensors;
        slot.ms.push(dt);
        slot.last = res;
        const f = slot.trainer.flops(res.metrics, res.gradientPasses);
        slot.effective.push(f.effective);
        addDensities(slot, res.metrics);
        slot.dense0 = f.dense;
        times.set(slot.preset, dt);
      }
      if (measured) roundMs.push(times);
    }
    opts.onProgress?.({ state, done, total, preset: '', warmup: false });
    return slots.map((slot) => {
      const st = stats(slot.ms);
      const ratios = roundMs.map((t) => t.get(slot.preset)! / t.get(slot.dense)!);
      const rs = stats(ratios);
      const effective = slot.effective.reduce((a, b) => a + b, 0) / slot.effective.length;
      const ms = slot.ms.length;
      const mean = (sums: Record<string, BranchPair>) => (Object.keys(sums).length ? Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, { online: v.online / ms, target: v.target / ms }])) : undefined);
      const density = mean(slot.densitySum.weight);
      const gateDensity = mean(slot.densitySum.gate);
      const mem: BenchMemory = {
        tensorsStart: slot.memStart!.tensors,
        tensorsEnd: slot.memEnd!.tensors,
        bytesStart: slot.memStart!.bytes,
        bytesEnd: slot.memEnd!.bytes,
        ...(slot.memStart!.gpuBytes !== undefined ? { gpuBytesStart: slot.memStart!.gpuBytes, gpuBytesEnd: slot.memEnd!.gpuBytes } : {}),
        tensorGrowth: slot.growth,
      };
      return {
        preset: slot.preset,
        backend: tf.getBackend(),
        size: opts.tiny ? 'tiny' : 'default',
        state,
        msPerStep: st.median,
        p25Ms: st.p25,
        p75Ms: st.p75,
        meanMs: st.mean,
        minMs: st.min,
        steps: ms,
        firstStep: slot.trainer.step - ms,
        dense: slot.dense,
        // A dense preset against itself is 1 by definition (not a float division).
        ratioToDense: slot.dense === slot.preset ? 1 : rs.median,
        ratioP25: slot.dense === slot.preset ? 1 : rs.p25,
        ratioP75: slot.dense === slot.preset ? 1 : rs.p75,
        flopsRatio: effective / slot.dense0,
        flops: { dense: slot.dense0, effective },
        imagesPerSec: slot.trainer.stepBatch / (st.median / 1000),
        gflopsPerSec: effective / (st.median / 1000) / 1e9,
        ...(density ? { density } : {}),
        ...(gateDensity ? { gateDensity } : {}),
        memory: mem,
      } satisfies BenchRow;
    });
  } finally {
    for (const s of slots) s.trainer.dispose();
  }
}

/** Every state asked for, one after the other (each state interleaves all presets). */
export async function runBench(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const state of opts.states ?? BENCH_STATES) rows.push(...(await benchState(state, opts)));
  return rows;
}

// ---------------------------------------------------------------------------------
// The long run: numTensors and bytes must stay flat.

/** Growth of later readings over the first: flat when no count and no byte figure rises. */
export function memoryGrowth(readings: readonly MemoryReading[]): { tensors: number; bytes: number; gpuBytes?: number; flat: boolean } {
  if (readings.length === 0) return { tensors: 0, bytes: 0, flat: true };
  const first = readings[0];
  const rise = (f: (r: MemoryReading) => number | undefined) => Math.max(0, ...readings.map((r) => (f(r) ?? 0) - (f(first) ?? 0)));
  const tensors = rise((r) => r.numTensors);
  const bytes = rise((r) => r.numBytes);
  const gpu = first.numBytesInGPU !== undefined ? rise((r) => r.numBytesInGPU) : undefined;
  return { tensors, bytes, ...(gpu !== undefined ? { gpuBytes: gpu } : {}), flat: tensors === 0 && bytes === 0 && (gpu ?? 0) === 0 };
}

import { LONG_READ_EVERY } from './benchLong';
export { LONG_READ_EVERY };

export interface LongOptions {
  presets: readonly string[];
  tiny: boolean;
  dataset: Dataset;
  /** Training steps per preset (the schedules span them); default 1000. */
  steps?: number;
  /** Read memory every this many steps; default LONG_READ_EVERY. */
  every?: number;
  overrides?: unknown;
  onProgress?: (p: { preset: string; step: number; steps: number }) => void;
  now?: () => number;
}

/**
 * Each preset in turn for `steps` steps (its schedules spread over them, so masks ramp,
 * update and settle), reading tf.memory() every `every` steps after a kNN evaluation and
 * every plugin's panel snapshot (what the app does between steps).
 */
export async function runLong(opts: LongOptions): Promise<LongResult[]> {
  const now = opts.now ?? (() => performance.now());
  const steps = opts.steps ?? 1000;
  const every = opts.every ?? LONG_READ_EVERY;
  // One reading (or none) cannot show growth: it would report "flat" having compared nothing.
  if (steps < 2 * every) throw new RangeError(`runLong: ${steps} steps give fewer than two memory readings (one every ${every} steps)`);
  const out: LongResult[] = [];
  for (const preset of opts.presets) {
    const config = benchConfig(preset, opts.tiny, { ...(opts.overrides as object), steps });
    const before = tf.memory().numTensors;
    const t0 = now();
    const trainer = new Trainer(config, opts.dataset);
    const readings: MemoryReading[] = [];
    try {
      for (let s = 1; s <= steps; s++) {
        await trainer.trainStep();
        if (s % every === 0 || s === steps) {
          opts.onProgress?.({ preset, step: s, steps });
          if (s % every !== 0) continue;
          await trainer.knn();
          for (const p of trainer.plugins) await p.snapshot?.();
          const m = memoryNow();
          readings.push({ step: s, numTensors: m.tensors, numBytes: m.bytes, ...(m.gpuBytes !== undefined ? { numBytesInGPU: m.gpuBytes } : {}) });
        }
      }
    } finally {
      trainer.dispose();
    }
    const g = memoryGrowth(readings);
    out.push({
      preset,
      backend: tf.getBackend(),
      steps,
      readings,
      tensorGrowth: g.tensors,
      byteGrowth: g.bytes,
      ...(g.gpuBytes !== undefined ? { gpuByteGrowth: g.gpuBytes } : {}),
      flat: g.flat,
      leftAfterDispose: tf.memory().numTensors - before,
      seconds: (now() - t0) / 1000,
      sparseKernels: config.kernels.sparse,
      ...(config.cdg ? { gateGradient: config.cdg.gateGradient } : {}),
    });
  }
  return out;
}
