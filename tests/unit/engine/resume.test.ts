// Resume: N steps → save → restore into a freshly built session → M steps gives, bit for
// bit, the losses of the same run trained N+M steps without a break (the reference is
// that uninterrupted run, computed here). On the cpu backend, and on WebGPU (Dawn in Node,
// SwiftShader without a GPU) when an adapter is there. numTensors stays flat.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig, type Config } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';
import { SyncCPPlugin } from '../../../src/engine/sparsity/syncp';
import { isUpdateStep } from '../../../src/engine/sparsity/schedule';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';

const dataset = await loadDataset('shapes', { seed: 5, trainCount: 32, testCount: 16 });

/** Runs of this length, kNN only past the end (so the comparison is about training alone). */
let STEPS = 12;
const cfgOf = (preset: string, extra: Record<string, unknown> = {}): Config =>
  buildConfig({ preset, tiny: true, overrides: { steps: STEPS, eval: { knnEvery: 0 }, ...extra } });
/** Software WebGPU is slow (~1 s a tiny step): shorter runs, whose schedules still update masks early. */
const GPU_STEPS = 6;

interface Case {
  name: string;
  config: Config;
  /** Steps before the save. */
  n: number;
  m: number;
}

async function steps(s: RunSession, k: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push((await s.trainStep()).result.loss);
  return out;
}

async function check(c: Case): Promise<void> {
  const base = tf.memory().numTensors;
  // Reference: no break. numTensors after step n+1 is what the resumed run must show after its first step.
  const ref = new RunSession(c.config, dataset);
  const refLosses = await steps(ref, c.n + 1);
  const refTensors = tf.memory().numTensors;
  refLosses.push(...(await steps(ref, c.m - 1)));
  ref.dispose();

  const first = new RunSession(c.config, dataset);
  const before = await steps(first, c.n);
  expect(before).toEqual(refLosses.slice(0, c.n));
  const t0 = tf.memory().numTensors;
  const saved = await first.saveState();
  expect(tf.memory().numTensors, 'saving allocates nothing that stays').toBe(t0);
  first.dispose();
  // Plain data: it survives a structured clone (postMessage, IndexedDB) unchanged.
  const state = structuredClone(saved);

  const resumed = RunSession.restore(state, dataset);
  expect(resumed.step).toBe(c.n);
  const after = [(await resumed.trainStep()).result.loss];
  expect(tf.memory().numTensors, 'a resumed run holds what the uninterrupted one held').toBe(refTensors);
  after.push(...(await steps(resumed, c.m - 1)));
  resumed.dispose();
  expect(after).toEqual(refLosses.slice(c.n));
  expect(tf.memory().numTensors).toBe(base);
}

function cases(steps = 12): Case[] {
  STEPS = steps;
  const sp = cfgOf('syncp-unstructured', { syncp: { scoreEma: 0.9, regrowth: { enabled: true, rate: 0.3 } } });
  // Save right before a mask update, so the resumed run's first step is the update (with
  // regrowth: it uses the gradients stashed before the save).
  const probe = new RunSession(sp, dataset);
  const w = probe.trainer.plugins.find((p): p is SyncCPPlugin => p instanceof SyncCPPlugin)!.window;
  probe.dispose();
  const update = Array.from({ length: STEPS }, (_, i) => i).find((s) => s > w.start && isUpdateStep(s, w))!;
  return [
    { name: 'simclr-dense', config: cfgOf('simclr-dense'), n: Math.min(3, update), m: 3 },
    { name: 'syncp-unstructured with score EMA and regrowth, across a mask update', config: sp, n: update, m: 3 },
    { name: 'syncp-2of4', config: cfgOf('syncp-2of4'), n: update, m: 2 },
    // F (the set predictor's correlation EMA) is state: a resume that rebuilt it from the identity would predict differently.
    { name: 'byol-dense with the DirectCopy predictor', config: cfgOf('byol-dense', { ssl: { predictor: 'directcopy' } }), n: 3, m: 3 },
    { name: 'cdg with a learned threshold', config: cfgOf('cdg', { cdg: { threshold: 'learned' } }), n: Math.min(3, update), m: 3 },
  ];
}

describe('resume on cpu', () => {
  it.each(cases().map((c) => [c.name, c] as const))('%s: save → restore → same next losses, bit for bit', async (_n, c) => {
    await initBackend(['cpu']);
    await check(c);
  }, 120_000);

  it('cdg: the evaluation thresholds survive, so the resumed run\'s kNN is the uninterrupted run\'s', async () => {
    await initBackend(['cpu']);
    const a = new RunSession(cfgOf('cdg', { steps: 20 }), dataset);
    await steps(a, 7);
    const lastMetrics = (await a.trainStep()).result.metrics;
    const plugin = (s: RunSession) => s.trainer.plugins.find((p) => p.name === 'cdg') as unknown as { evalThreshold(l: string): number };
    const layer = 's1.b0.conv1';
    const before = plugin(a).evalThreshold(layer);
    expect(Number.isFinite(before), 'the gates close by step 8').toBe(true);
    const knn = await a.trainer.knn();
    const state = structuredClone(await a.saveState());
    a.dispose();
    const b = RunSession.restore(state, dataset);
    expect(plugin(b).evalThreshold(layer)).toBe(before); // it was −∞ (every gate open) before the fix
    // The worker counts the restored run's FLOPs from the last step's metrics (a copy, from the
    // replay): that step's Δ is in the saved average already, and must not be folded in again.
    b.trainer.flops(structuredClone(lastMetrics));
    expect(plugin(b).evalThreshold(layer)).toBe(before);
    expect(await b.trainer.knn()).toBe(knn);
    b.dispose();
  });

  it('cdg: a step that diverged folds nothing into the evaluation thresholds, and the retried step folds in once', async () => {
    await initBackend(['cpu']);
    const a = new RunSession(cfgOf('cdg', { steps: 20 }), dataset);
    await steps(a, 7);
    const last = (await a.trainStep()).result.metrics;
    const plugin = a.trainer.plugins.find((p) => p.name === 'cdg') as unknown as { evalThreshold(l: string): number; beforeStep(s: number): void };
    const layer = 's1.b0.conv1';
    const before = plugin.evalThreshold(layer);
    // A diverged step: the plugin was told of step 8, no read-back came, and the worker's
    // report after the divergence counts FLOPs from the last good step's metrics again.
    plugin.beforeStep(8);
    a.trainer.flops(last);
    expect(plugin.evalThreshold(layer)).toBe(before);
    // The retried step 8 is a new read-back: folded in once (report, then the row's FLOPs).
    const next = (await a.trainStep()).result.metrics;
    const d = next[`cdg.delta.${layer}`]?.[0];
    expect(Number.isFinite(d)).toBe(true);
    expect(plugin.evalThreshold(layer)).toBeCloseTo(0.9 * before + 0.1 * d!, 12);
    a.dispose();
  });

  it('a state from another config is refused with what was expected, and nothing is left allocated', async () => {
    await initBackend(['cpu']);
    const a = new RunSession(cfgOf('simclr-dense'), dataset);
    await steps(a, 1);
    const state = await a.saveState();
    a.dispose();
    const base = tf.memory().numTensors;
    const wider = { ...state, trainer: { ...state.trainer, config: cfgOf('simclr-dense', { model: { widths: [8, 24] } }) } };
    expect(() => RunSession.restore(wider, dataset)).toThrow(/saved state: online.var.\S+ has shape \[.*\], this run needs \[/);
    const noMasks = { ...state, trainer: { ...state.trainer, config: cfgOf('syncp-unstructured') } };
    expect(() => RunSession.restore(noMasks, dataset)).toThrow(/saved state/);
    const future = { ...state, trainer: { ...state.trainer, version: 99 } };
    expect(() => RunSession.restore(future, dataset)).toThrow(/version 99/);
    expect(tf.memory().numTensors).toBe(base);
  });

  it('a state short of optimizer moments is refused (AdamW would restart them from zero under the saved step count)', async () => {
    await initBackend(['cpu']);
    const a = new RunSession(cfgOf('simclr-dense'), dataset);
    await steps(a, 2);
    const state = await a.saveState();
    a.dispose();
    const base = tf.memory().numTensors;
    const keys = Object.keys(state.trainer.arrays);
    const vKeys = keys.filter((k) => k.startsWith('adam.v.'));
    expect(vKeys.length).toBeGreaterThan(5);
    const without = (drop: (k: string) => boolean) => ({ ...state, trainer: { ...state.trainer, arrays: Object.fromEntries(Object.entries(state.trainer.arrays).filter(([k]) => !drop(k))) } });
    // One v gone: its m has no partner.
    const name = vKeys[3].slice('adam.v.'.length);
    expect(() => RunSession.restore(without((k) => k === vKeys[3]), dataset)).toThrow(`saved state has adam.m.${name} but no adam.v.${name}`);
    expect(() => RunSession.restore(without((k) => k === `adam.m.${name}`), dataset)).toThrow(`saved state has adam.v.${name} but no adam.m.${name}`);
    // Every moment gone after 2 optimizer steps.
    expect(() => RunSession.restore(without((k) => k.startsWith('adam.')), dataset)).toThrow(/2 optimizer steps but no optimizer moments/);
    expect(tf.memory().numTensors).toBe(base);
    // A damaged step count (found by a leak hunt: AdamW refused it only after the weights were
    // replaced, and the moments built for it were left allocated).
    for (const optimizerSteps of [-1, 2.5, Number.NaN])
      expect(() => RunSession.restore({ ...state, trainer: { ...state.trainer, optimizerSteps } }, dataset), String(optimizerSteps)).toThrow(/optimizer steps .* is not a whole number ≥ 0/);
    expect(tf.memory().numTensors).toBe(base);
    // The whole state still restores.
    RunSession.restore(state, dataset).dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('a damaged plugin state', () => {
  it('is refused with what is wrong, before anything trains; fields a save never writes are not taken', async () => {
    await initBackend(['cpu']);
    const a = new RunSession(cfgOf('syncp-unstructured'), dataset);
    await steps(a, 4);
    const state = await a.saveState();
    const reference = await steps(a, 2);
    a.dispose();
    const base = tf.memory().numTensors;
    type Layers = { layers: Record<string, unknown>[] };
    const withLayer = (edit: (l: Record<string, unknown>) => unknown) => {
      const s = structuredClone(state);
      const meta = s.trainer.plugins.syncp as Layers;
      meta.layers[0] = edit({ ...meta.layers[0] }) as Record<string, unknown>;
      return s;
    };
    expect(() => RunSession.restore(withLayer(() => null), dataset)).toThrow(/saved SyncCP state is malformed \(layer 1: not an object\)/);
    expect(() => RunSession.restore(withLayer(({ planned: _p, ...l }) => l), dataset)).toThrow(/saved SyncCP state is malformed \(layer 1: planned densities missing\)/);
    // The bookkeeping beside the layers (a saved-runs hunt: a lastUpdate left out made every row's update step NaN).
    const withBook = (edit: (m: Record<string, unknown>) => void) => {
      const s = structuredClone(state);
      edit(s.trainer.plugins.syncp as Record<string, unknown>);
      return s;
    };
    expect(() => RunSession.restore(withBook((m) => delete m.lastUpdate), dataset)).toThrow(/saved SyncCP state is malformed \(expected lastUpdate, stepsDone, prepared and layers: lastUpdate is missing or not a step\)/);
    expect(() => RunSession.restore(withBook((m) => (m.prepared = 1.5)), dataset)).toThrow(/prepared is missing or not a step/);
    expect(() => RunSession.restore(withBook((m) => (m.stepsDone = -1)), dataset)).toThrow(/stepsDone is missing or not a step/);
    // null is a run before its first update: taken.
    RunSession.restore(withBook((m) => (m.lastUpdate = null)), dataset).dispose();
    expect(tf.memory().numTensors).toBe(base);
    // A key no save writes (a live layer's internals) is not copied over the layer: it trains as the saved run would.
    const b = RunSession.restore(withLayer((l) => ({ ...l, emaOnline: null, shape: [1, 1, 1, 1], size: 1 })), dataset);
    expect(await steps(b, 2)).toEqual(reference);
    b.dispose();

    const c = new RunSession(cfgOf('cdg'), dataset);
    await steps(c, 1);
    const cdgState = structuredClone(await c.saveState());
    c.dispose();
    (cdgState.trainer.plugins.cdg as { infos: unknown[] }).infos[0] = { role: 'sideways', view: 3 };
    expect(() => RunSession.restore(cdgState, dataset)).toThrow(/saved CDG state is malformed \(branch 1/);
    // The last gate densities: a layer missing, or a density that is no fraction, is refused (the panel and FLOPs read them).
    const d = new RunSession(cfgOf('cdg'), dataset);
    await steps(d, 1);
    const good = await d.saveState();
    d.dispose();
    const withLast = (edit: (last: Record<string, { online: number; target: number }>) => unknown) => {
      const s = structuredClone(good);
      const meta = s.trainer.plugins.cdg as { last: Record<string, { online: number; target: number }> };
      meta.last = edit(structuredClone(meta.last)) as Record<string, { online: number; target: number }>;
      return s;
    };
    expect(() => RunSession.restore(withLast(() => ({})), dataset)).toThrow(/saved CDG state is malformed \(the last gate densities/);
    expect(() => RunSession.restore(withLast((l) => ({ ...l, [Object.keys(l)[0]]: 5 })), dataset)).toThrow(/saved CDG state is malformed \(the last gate densities/);
    expect(() => RunSession.restore(withLast((l) => ({ ...l, [Object.keys(l)[0]]: { online: 1.5, target: 0.4 } })), dataset)).toThrow(/the last gate densities/);
    // None yet (a save before any step) and the real one restore.
    RunSession.restore(withLast(() => null), dataset).dispose();
    RunSession.restore(structuredClone(good), dataset).dispose();
  });

  it('an optimizer moment named after an Object property is refused as belonging to no variable', async () => {
    const a = new RunSession(cfgOf('simclr-dense'), dataset);
    await steps(a, 1);
    const state = structuredClone(await a.saveState());
    a.dispose();
    const some = Object.keys(state.trainer.arrays).find((k) => k.startsWith('adam.m.'))!;
    for (const name of ['constructor', 'toString', '__proto__']) {
      const s = structuredClone(state);
      const arr = Object.create(null) as typeof s.trainer.arrays;
      Object.assign(arr, s.trainer.arrays);
      arr[`adam.m.${name}`] = arr[some];
      s.trainer.arrays = arr;
      expect(() => RunSession.restore(s, dataset), name).toThrow(new RegExp(`optimizer moment adam\\.m\\.${name.replace(/_/g, '_')} belongs to no variable`));
    }
  });
});

describe('resume after a lowered learning rate', () => {
  it('saves the session’s config: a resumed run keeps the rate lowered after a divergence', async () => {
    const a = new RunSession(cfgOf('simclr-dense'), dataset);
    await steps(a, 1);
    const lr = a.config.optim.lr;
    a.scaleLearningRate(0.5);
    const state = structuredClone(await a.saveState());
    a.dispose();
    expect(state.trainer.config.optim.lr).toBe(lr / 2);
    const b = RunSession.restore(state, dataset);
    expect(b.config.optim.lr).toBe(lr / 2);
    expect(b.trainer.peakLearningRate).toBe(lr / 2);
    b.dispose();
  });
});

const gpu = await installNodeWebGPU();
const adapter = gpu.ok ? await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter().catch(() => null) : null;

describe.skipIf(!adapter)('resume on WebGPU (Dawn in Node)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  // One case on WebGPU (the most state: masks, score EMAs, stashed regrowth gradients, across
  // an update): each costs 25-50 s on SwiftShader; the e2e resumes a dense run on the page's WebGPU.
  it.each(cases(GPU_STEPS).filter((c) => c.name.startsWith('syncp-unstructured')).map((c) => [c.name, c] as const))('%s: save → restore → same next losses, bit for bit', async (_n, c) => {
    const r = await initBackend(['webgpu']);
    expect(r.backend).toBe('webgpu');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    await check({ ...c, n: c.name.startsWith('syncp') ? c.n : Math.min(c.n, 2), m: 2 });
  }, 300_000);
});
