// Where a training step's WebGPU time goes, per program kind (tiny size, end state): every
// program is submitted on its own (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE = 1) and the time its
// work completes is read from queue.onSubmittedWorkDone; the queue stays busy while the step
// records, so the gap between consecutive completions is that program's execution time
// (approximately: on SwiftShader the queue runs on the CPU threads the step also uses).
// Usage: npx tsx scripts/profile-step.ts preset[:off|:auto][:detached] ...   (:off = kernels.sparse 'off';
// :detached = cdg.gateGradient 'detached')
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGPU } from '../src/cli/nodeWebgpu';
import { initBackend } from '../src/engine/backend';
import { benchConfig, stateStartStep } from '../src/engine/bench';
import { loadDataset } from '../src/engine/data';
import { Trainer } from '../src/engine/trainer';

const args = process.argv.slice(2).length ? process.argv.slice(2) : ['byol-dense', 'syncp-2of4', 'syncp-2of4:off'];
const ok = await installNodeWebGPU();
if (!ok.ok) throw new Error(ok.reason);
await initBackend(['webgpu']);
if (tf.getBackend() !== 'webgpu') throw new Error(`no webgpu (got ${tf.getBackend()})`);
tf.env().set('WEBGPU_CPU_FORWARD', false);
tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1); // tfjs submits after every dispatch
type Backend = { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown; queue: { onSubmittedWorkDone: () => Promise<void> } };
const backend = tf.backend() as unknown as Backend;
const run = backend.runWebGPUProgram.bind(backend);
let recording = false;
const done: Promise<{ key: string; t: number }>[] = [];
backend.runWebGPUProgram = (p, ...r) => {
  const out = run(p, ...r);
  if (recording) {
    const key = process.env.FULLKEY && p.shaderKey.startsWith(process.env.FULLKEY) ? `${p.shaderKey}[${(p as unknown as { outputShape: number[] }).outputShape}]` : p.shaderKey.split('_')[0];
    done.push(backend.queue.onSubmittedWorkDone().then(() => ({ key, t: performance.now() })));
  }
  return out;
};
const dataset = await loadDataset('shapes', { seed: 1, trainCount: 200, testCount: 100 });
for (const arg of args) {
  const [preset, sparse, gate] = arg.split(':');
  const config = benchConfig(preset, true, {
    ...(sparse ? { kernels: { sparse: sparse as 'auto' | 'off' } } : {}),
    ...(gate === 'detached' ? { cdg: { gateGradient: 'detached' as const } } : {}),
  });
  const t = new Trainer(config, dataset);
  t.startAt(stateStartStep(config, 'end'));
  for (let i = 0; i < 2; i++) await t.trainStep(); // warm-up (shader compilation, the due mask update)
  const per = new Map<string, { n: number; ms: number }>();
  const steps = 3;
  let total = 0;
  for (let s = 0; s < steps; s++) {
    done.length = 0;
    recording = true;
    const t0 = performance.now();
    await t.trainStep();
    recording = false;
    total += performance.now() - t0;
    const times = await Promise.all(done);
    for (let i = 1; i < times.length; i++) {
      const e = per.get(times[i].key) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += times[i].t - times[i - 1].t;
      per.set(times[i].key, e);
    }
  }
  const rows = [...per.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const sum = rows.reduce((a, [, e]) => a + e.ms, 0);
  const conv = rows.filter(([k]) => /^(conv2D|im2col|sp[A-Z]|cdg(DualConv|BaseConv|CondConv))/.test(k)).reduce((a, [, e]) => a + e.ms, 0);
  const dispatches = rows.reduce((a, [, e]) => a + e.n, 0) / steps;
  console.log(`${arg}: ${(total / steps).toFixed(0)} ms a step, ${dispatches.toFixed(0)} programs (programs submitted one by one), GPU time in programs ${(sum / steps).toFixed(0)} ms, of it convs ${(conv / steps).toFixed(0)} ms (${((100 * conv) / sum).toFixed(0)}%)`);
  console.log('  ' + rows.slice(0, 14).map(([k, e]) => `${k} ${(e.n / steps).toFixed(0)}× ${(e.ms / steps).toFixed(0)} ms`).join(', '));
  t.dispose();
}
