// Counts the WebGPU compute dispatches of one training step per preset (tiny size, end state
// of the schedules), as docs/bench.md's profiles do: a wrapper on dispatchWorkgroups, plus
// the shader keys of the programs run (tfjs' runWebGPUProgram). Node + Dawn.
// Usage: npx tsx scripts/count-dispatches.ts [preset ...]   (default: simclr-dense cdg)
// A preset written NAME:off runs with kernels.sparse 'off' (the masked dense convs).
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGPU } from '../src/cli/nodeWebgpu';
import { initBackend } from '../src/engine/backend';
import { benchConfig, stateStartStep } from '../src/engine/bench';
import { loadDataset } from '../src/engine/data';
import { Trainer } from '../src/engine/trainer';

const presets = process.argv.slice(2).length ? process.argv.slice(2) : ['simclr-dense', 'cdg'];
const ok = await installNodeWebGPU();
if (!ok.ok) throw new Error(ok.reason);
await initBackend(['webgpu']);
if (tf.getBackend() !== 'webgpu') throw new Error(`no webgpu (got ${tf.getBackend()})`);
let dispatches = 0;
const enc = (globalThis as unknown as { GPUComputePassEncoder: { prototype: { dispatchWorkgroups: (...a: number[]) => void } } }).GPUComputePassEncoder.prototype;
const orig = enc.dispatchWorkgroups;
enc.dispatchWorkgroups = function (this: unknown, ...a: number[]) {
  dispatches++;
  return orig.apply(this, a);
};
const keys = new Map<string, number>();
const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
const run = backend.runWebGPUProgram.bind(backend);
backend.runWebGPUProgram = (p, ...r) => {
  const k = p.shaderKey.split('_')[0];
  keys.set(k, (keys.get(k) ?? 0) + 1);
  return run(p, ...r);
};
const dataset = await loadDataset('shapes', { seed: 1, trainCount: 200, testCount: 100 });
for (const arg of presets) {
  const [preset, sparse] = arg.split(':');
  const config = benchConfig(preset, true, sparse ? { kernels: { sparse } } : undefined);
  const t = new Trainer(config, dataset);
  t.startAt(stateStartStep(config, 'end'));
  for (let i = 0; i < 2; i++) await t.trainStep(); // warm-up (shader compilation, the due mask update)
  dispatches = 0;
  keys.clear();
  await t.trainStep();
  const top = [...keys.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`${arg}: ${dispatches} dispatches a step; programs: ${top}`);
  t.dispose();
}
