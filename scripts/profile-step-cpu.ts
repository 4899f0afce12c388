// Where a cpu training step's time goes, by tfjs kernel: tf.profile around Trainer.trainStep
// (Node, tfjs cpu backend with the project's cpu kernels), kernel ms and calls summed by name
// over 10 steps after 5 warm-up steps, beside the wall time of unprofiled steps (alternating).
// Work done outside kernels (custom-gradient forwards show as "forward"; AdamW's and the EMA's
// loops on cpu show in the wall time only) is the gap between the two totals.
//   npx tsx scripts/profile-step-cpu.ts [preset] [--tiny | --measured] [--shapes Name1,Name2]
// --shapes lists those kernels per input shapes instead.
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { benchConfig } from '../src/engine/bench';
import { buildConfig } from '../src/engine/config';
import { loadDataset } from '../src/engine/data';
import { Trainer } from '../src/engine/trainer';
import { startNodeBackend } from '../src/cli/nodeBackend';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { tiny: { type: 'boolean' }, measured: { type: 'boolean' }, shapes: { type: 'string' } } });
const preset = positionals[0] ?? 'byol-dense';
const byShape = values.shapes ? new Set(values.shapes.split(',')) : undefined;
await startNodeBackend('cpu');
// --measured: the CLIs' --tiny (the preset's batch, TINY_MEASURED), not the app's.
const cfg = values.measured ? buildConfig({ preset, tiny: true, measured: true }) : benchConfig(preset, values.tiny ?? false);
const ds = await loadDataset('shapes', { seed: cfg.seed, trainCount: cfg.data.trainCount, testCount: cfg.data.testCount });
const trainer = new Trainer(cfg, ds);
for (let i = 0; i < 5; i++) await trainer.trainStep();
const agg = new Map<string, { ms: number; n: number }>();
const N = 10;
let wall = 0;
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  await trainer.trainStep();
  wall += performance.now() - t0;
  const info = await tf.profile(async () => {
    await trainer.trainStep();
    return [];
  });
  for (const k of info.kernels) {
    if (byShape && !byShape.has(k.name)) continue;
    const ms = await Promise.resolve(k.kernelTimeMs as number | Promise<number>);
    const key = byShape ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const a = agg.get(key) ?? { ms: 0, n: 0 };
    a.ms += typeof ms === 'number' ? ms : 0;
    a.n++;
    agg.set(key, a);
  }
}
trainer.dispose();
const total = [...agg.values()].reduce((a, b) => a + b.ms, 0) / N;
const calls = [...agg.values()].reduce((a, b) => a + b.n, 0) / N;
console.log(`${preset}${values.tiny ? ' --tiny' : ''}: wall ${(wall / N).toFixed(1)} ms a step; listed kernels ${total.toFixed(1)} ms in ${calls} calls`);
for (const [k, v] of [...agg.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) console.log(`${k.padEnd(byShape ? 60 : 28)} ${(v.ms / N).toFixed(2).padStart(8)} ms ${String(v.n / N).padStart(6)} calls`);
