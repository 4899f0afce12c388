// Whole training steps of two versions of the engine in ONE process, alternating step by step:
// another git tree's Trainer with its cpu kernels against this tree's, the kernels swapped in
// before each step, so the host's drift (15–40 % between minutes on a shared 2-core machine)
// hits both alike. Separate bench runs per version could not tell a 10 % change from noise.
//   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   npx tsx scripts/ab-trees.ts /tmp/base simclr-dense,byol-dense [tiny] [rounds]
// Prints one JSON line a preset: median step ms of each version and the median of the
// per-round ratios this/other with p25–p75, at the end state of the schedules.
import * as tf from '@tensorflow/tfjs';
import { startNodeBackend } from '../src/cli/nodeBackend';
import { benchConfig, quantile, stateStartStep } from '../src/engine/bench';
import { loadDataset } from '../src/engine/data';
import { Trainer } from '../src/engine/trainer';

const [otherDir, presetsArg = 'byol-dense', sizeArg, roundsArg] = process.argv.slice(2);
if (!otherDir) throw new Error('usage: npx tsx scripts/ab-trees.ts <other tree> [presets] [tiny] [rounds]');
const tiny = sizeArg === 'tiny';
const rounds = Number(roundsArg ?? 20);

// The cpu kernels either version may replace (kernels/cpuConv2DBackpropFilter.ts registerFastCpuKernels).
const NAMES = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', 'Sum', 'Mean', 'Slice', 'SplitV', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Relu', 'Step', 'ClipByValue', 'FusedBatchNorm'];
type KernelSet = Map<string, tf.KernelConfig>;
const grab = (): KernelSet => new Map(NAMES.flatMap((n) => { const k = tf.getKernel(n, 'cpu'); return k ? [[n, k] as const] : []; }));
const use = (ks: KernelSet) => {
  for (const [n, k] of ks) {
    tf.unregisterKernel(n, 'cpu');
    tf.registerKernel({ ...k, kernelName: n, backendName: 'cpu' });
  }
};

// tfjs' own kernels first; each version then registers its own over them, and keeps them as its "originals".
const tfjsOwn = grab();
const other = {
  kernels: await import(`${otherDir}/src/engine/kernels/cpuConv2DBackpropFilter.ts`),
  trainer: await import(`${otherDir}/src/engine/trainer.ts`),
  bench: await import(`${otherDir}/src/engine/bench.ts`),
  data: await import(`${otherDir}/src/engine/data/index.ts`),
};
other.kernels.registerFastCpuKernels();
const kOther = grab();
use(tfjsOwn);
await startNodeBackend('cpu');
const kThis = grab();

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
for (const preset of presetsArg.split(',')) {
  const cfgThis = benchConfig(preset, tiny);
  const cfgOther = other.bench.benchConfig(preset, tiny);
  const dsThis = await loadDataset('shapes', { seed: cfgThis.seed, trainCount: cfgThis.data.trainCount, testCount: cfgThis.data.testCount });
  const dsOther = await other.data.loadDataset('shapes', { seed: cfgOther.seed, trainCount: cfgOther.data.trainCount, testCount: cfgOther.data.testCount });
  const tThis = new Trainer(cfgThis, dsThis);
  tThis.startAt(stateStartStep(cfgThis, 'end'));
  const tOther = new other.trainer.Trainer(cfgOther, dsOther);
  tOther.startAt(other.bench.stateStartStep(cfgOther, 'end'));
  const ms = { this: [] as number[], other: [] as number[] };
  for (let r = -3; r < rounds; r++) {
    // The order alternates every round; 3 warm-up rounds are not counted.
    for (const which of r % 2 ? (['other', 'this'] as const) : (['this', 'other'] as const)) {
      use(which === 'this' ? kThis : kOther);
      const t0 = performance.now();
      await (which === 'this' ? tThis : tOther).trainStep();
      if (r >= 0) ms[which].push(performance.now() - t0);
    }
  }
  tThis.dispose();
  tOther.dispose();
  const ratios = ms.this.map((v, i) => v / ms.other[i]).sort((a, b) => a - b);
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  console.log(JSON.stringify({
    preset, size: tiny ? 'tiny' : 'default', otherMs: round3(median(ms.other)), thisMs: round3(median(ms.this)),
    thisOverOther: round3(median(ratios)), p25: round3(quantile(ratios, 0.25)), p75: round3(quantile(ratios, 0.75)),
  }));
}
use(kThis);
