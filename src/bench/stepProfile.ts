// Where a training step's time goes in Chromium, for scripts/profile-step-browser.ts (tiny or
// default size, end state). On webgl, per program kind: WebGL has no per-program timer on
// SwiftShader, so every program is followed by gl.finish(): the time from its call to the end
// of the finish is its execution (plus one finish), the time between programs is JavaScript
// (tfjs' and the engine's, texture allocation included). Those totals exceed an unprofiled
// step's time (no overlap of JavaScript and shaders): compare kinds and presets, not the sum
// with a step. On any page backend: interleaved step times (`ab`), or unmodified steps after
// warm-up for a CPU profile taken from outside (`plain`, with the warm/go handshake).
import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { initBackend, type BackendName } from '../engine/backend';
import { nameWasmAssets } from '../worker/wasmAssets';
import { benchConfig, stateStartStep } from '../engine/bench';
import { loadDataset } from '../engine/data';
import { Trainer } from '../engine/trainer';
import { median } from '../engine/median';

export interface ProfileRow {
  spec: string;
  msPerStep: number;
  programs: number;
  programMs: number;
  jsMs: number;
  kinds: { key: string; n: number; ms: number }[];
}

declare global {
  interface Window {
    __profile?: { done: boolean; rows: ProfileRow[]; error?: string; warm?: boolean; go?: boolean };
  }
}

const state: NonNullable<Window['__profile']> = { done: false, rows: [] };
window.__profile = state;

type Prog = { constructor: { name: string }; variableNames: string[]; outputShape: number[]; userCode: string };

/** A program's kind: tfjs' class name, or for the engine's plain-object programs its inputs and a hash of its code. */
function kindOf(p: Prog, shape: number[]): string {
  const name = p.constructor?.name;
  const base = name && name !== 'Object' ? name : `custom(${p.variableNames.join(',')})`;
  return `${base}[${shape.join('x')}]`;
}

async function main(): Promise<void> {
  const specs = (new URLSearchParams(location.search).get('specs') ?? 'simclr-dense,cdg').split(',');
  const steps = Number(new URLSearchParams(location.search).get('steps') ?? 4);
  // size=default: the default size instead of the tiny one.
  const tiny = new URLSearchParams(location.search).get('size') !== 'default';
  // plain: no per-program finish (for a JavaScript profile taken from outside, and the plain step time).
  const plain = new URLSearchParams(location.search).has('plain') || new URLSearchParams(location.search).has('ab');
  // backend=wasm|cpu|webgpu: the interleaved (AB) and JavaScript-profile modes on another of the page's backends.
  const backendName = (new URLSearchParams(location.search).get('backend') ?? 'webgl') as BackendName;
  nameWasmAssets();
  await initBackend([backendName]);
  (window as unknown as { tfEnvThreads: () => Promise<unknown> }).tfEnvThreads = () => tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  // env=NAME:value,…: tfjs flags to try (e.g. WEBGL_PACK:false).
  for (const kv of (new URLSearchParams(location.search).get('env') ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split(':');
    tf.env().set(k, v === 'true' ? true : v === 'false' ? false : Number(v));
  }
  const backend = tf.backend() as MathBackendWebGL & { runWebGLProgram: (p: Prog, inputs: tf.TensorInfo[], ...r: unknown[]) => tf.TensorInfo };
  if (backendName !== 'webgl' && !plain) throw new Error('the per-program profile is for webgl only (use ab or plain)');
  const gl = backendName === 'webgl' ? backend.gpgpu.gl : ({ finish: () => undefined } as unknown as WebGL2RenderingContext);
  const run = backendName === 'webgl' ? backend.runWebGLProgram.bind(backend) : () => undefined as unknown as tf.TensorInfo;
  let recording = false;
  let last = 0;
  let js = 0;
  const per = new Map<string, { n: number; ms: number }>();
  // Nested programs (tfjs packs or unpacks inputs inside a program's run) count on their own:
  // a program's time is exclusive of the programs it ran.
  let depth = 0;
  let childMs = 0;
  if (backendName === 'webgl') backend.runWebGLProgram = (p, inputs, ...r) => {
    if (!recording || plain) return run(p, inputs, ...r);
    const t0 = performance.now();
    if (depth === 0) js += t0 - last;
    const outerChild = childMs;
    childMs = 0;
    depth++;
    let out: tf.TensorInfo;
    try {
      out = run(p, inputs, ...r);
      gl.finish();
    } finally {
      depth--;
    }
    const end = performance.now();
    const ms = end - t0 - childMs;
    childMs = outerChild + (end - t0);
    if (depth === 0) last = end;
    const key = kindOf(p, out.shape);
    const e = per.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += ms;
    per.set(key, e);
    return out;
  };
  // Readbacks: each waits for every program queued before it.
  for (const m of backendName === 'webgl' ? (['readSync', 'read'] as const) : []) {
    const f = (backend as unknown as Record<string, (...a: unknown[]) => unknown>)[m].bind(backend);
    (backend as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      if (recording && !plain) {
        const e = per.get(`readback:${m}`) ?? { n: 0, ms: 0 };
        e.n++;
        per.set(`readback:${m}`, e);
      }
      return f(...a);
    };
  }
  const probe = benchConfig(specs[0].split(':')[0], tiny);
  const dataset = await loadDataset('shapes', { seed: probe.seed, trainCount: probe.data.trainCount, testCount: probe.data.testCount });
  const ab = Number(new URLSearchParams(location.search).get('ab') ?? 0);
  if (ab) {
    // Interleaved: every spec one step a round, `ab` rounds after 3 warm-up steps each; medians.
    const trainers = specs.map((spec) => {
      const [preset, gate] = spec.split(':');
      const config = benchConfig(preset, tiny, gate === 'detached' ? { cdg: { gateGradient: 'detached' } } : undefined);
      const t = new Trainer(config, dataset);
      t.startAt(stateStartStep(config, 'end'));
      return t;
    });
    for (const t of trainers) for (let i = 0; i < 3; i++) await t.trainStep();
    const times = specs.map(() => [] as number[]);
    for (let r = 0; r < ab; r++) {
      for (let i = 0; i < trainers.length; i++) {
        const t0 = performance.now();
        await trainers[i].trainStep();
        times[i].push(performance.now() - t0);
      }
    }
    specs.forEach((spec, i) => {
      state.rows.push({ spec, msPerStep: median(times[i]), programs: 0, programMs: 0, jsMs: 0, kinds: [] });
    });
    for (const t of trainers) t.dispose();
    return;
  }
  for (const spec of specs) {
    const [preset, gate] = spec.split(':');
    const config = benchConfig(preset, tiny, gate === 'detached' ? { cdg: { gateGradient: 'detached' } } : undefined);
    const t = new Trainer(config, dataset);
    t.startAt(stateStartStep(config, 'end'));
    for (let i = 0; i < 3; i++) await t.trainStep();
    if (plain) {
      // The profiler outside starts now (after shader compilation) and sets __profile.go.
      state.warm = true;
      while (!state.go) await new Promise((r) => setTimeout(r, 50));
    }
    per.clear();
    js = 0;
    let total = 0;
    for (let s = 0; s < steps; s++) {
      gl.finish();
      recording = true;
      const t0 = performance.now();
      last = t0;
      await t.trainStep();
      recording = false;
      total += performance.now() - t0;
    }
    const kinds = [...per.entries()].map(([key, e]) => ({ key, n: e.n / steps, ms: e.ms / steps })).sort((a, b) => b.ms - a.ms);
    state.rows.push({
      spec,
      msPerStep: total / steps,
      programs: kinds.reduce((a, k) => a + k.n, 0),
      programMs: kinds.reduce((a, k) => a + k.ms, 0),
      jsMs: js / steps,
      kinds,
    });
    t.dispose();
  }
}

main()
  .catch((e) => (state.error = (e as Error).stack ?? String(e)))
  .finally(() => (state.done = true));
