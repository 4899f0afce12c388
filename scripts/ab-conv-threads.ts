// Whole training steps with and without the conv helper thread (src/cli/convThreads.ts), in
// one process: the same trainer's steps alternate between the two, so the host's drift hits
// both alike. The values are the same either way (tests/unit/engine/convThreads.test.ts).
//   npx tsx scripts/ab-conv-threads.ts simclr-dense,byol-dense [tiny] [rounds] [app]
// (app: the page's config, as `npm run bench` times it; else the CLIs')
import { benchConfig } from '../src/engine/bench';
import { buildConfig } from '../src/engine/config';
import { loadDataset } from '../src/engine/data';
import { Trainer } from '../src/engine/trainer';
import { startNodeBackend } from '../src/cli/nodeBackend';
import { startConvThreads } from '../src/cli/convThreads';
import { setConvSplitter } from '../src/engine/kernels/convTaps';
import { median } from '../src/engine/median';
const presets = (process.argv[2] ?? 'byol-dense').split(',');
const tiny = process.argv[3] === 'tiny';
const rounds = Number(process.argv[4] ?? 40);
await startNodeBackend('cpu');
const s = await startConvThreads();
if (!s) throw new Error('no helper');
for (const preset of presets) {
  const cfg = process.argv[5] === 'app' ? benchConfig(preset, tiny) : buildConfig({ preset, tiny, measured: true });
  const ds = await loadDataset('shapes', { seed: cfg.seed, trainCount: cfg.data.trainCount, testCount: cfg.data.testCount });
  const t = new Trainer(cfg, ds);
  t.startAt(Math.floor(cfg.steps * 0.8));
  for (let i = 0; i < 4; i++) await t.trainStep();
  const on: number[] = [], off: number[] = [], ratio: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [true, false] : [false, true];
    const ms: Record<string, number> = {};
    for (const th of order) {
      setConvSplitter(th ? s : null);
      const t0 = performance.now();
      await t.trainStep();
      ms[String(th)] = performance.now() - t0;
    }
    on.push(ms.true); off.push(ms.false); ratio.push(ms.true / ms.false);
  }
  const med = median;
  const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)];
  console.log(`${preset} ${tiny ? 'tiny' : 'default'} batch ${cfg.batchSize}: one thread ${med(off).toFixed(1)} ms, two ${med(on).toFixed(1)} ms, ratio ${med(ratio).toFixed(3)} (${q(ratio, 0.25).toFixed(2)}–${q(ratio, 0.75).toFixed(2)})`);
  t.dispose();
}
setConvSplitter(null);
process.exit(0);
