// One CDG gated conv layer on WebGPU, forward + gradients (2 branches, shared kernel, quantile
// gate, gateGradient 'detached'), with the conditional path at open units only (skipClosed)
// against the one dual conv over every location (kernels.sparse 'off'), interleaved
// repetitions in one process, each ended by a readback. Layer shapes: the tiny size's two
// stages and a larger one, where the convs' work outweighs per-dispatch cost.
// Usage: npx tsx scripts/gated-conv-skip.ts [reps] ['[batch, side, cin, cout]']
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGPU } from '../src/cli/nodeWebgpu';
import { initBackend } from '../src/engine/backend';
import { gatedConv } from '../src/engine/sparsity/cdgGate';
import { median } from '../src/engine/median';

const reps = Number(process.argv[2] ?? 15);
const ok = await installNodeWebGPU();
if (!ok.ok) throw new Error(ok.reason);
await initBackend(['webgpu']);
if (tf.getBackend() !== 'webgpu') throw new Error(`no webgpu (got ${tf.getBackend()})`);
tf.env().set('WEBGPU_CPU_FORWARD', false);

// [batch a branch, side, C_in, C_out]
const shapes: [number, number, number, number][] = process.argv[3] ? [JSON.parse(process.argv[3])] : [[8, 16, 8, 8], [8, 8, 16, 16], [16, 16, 32, 32]];
for (const [b, side, cin, cout] of shapes) {
  const xs = [0, 1].map(() => tf.randomNormal([b, side, side, cin]) as tf.Tensor4D);
  const w = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D;
  const step = async (skipClosed: boolean) => {
    const t0 = performance.now();
    const gs = tf.tidy(() => tf.grads((...a: tf.Tensor[]) => {
      const r = gatedConv(a.slice(0, 2) as tf.Tensor4D[], [a[2], a[2]] as tf.Tensor4D[], { density: 0.4, gateGradient: 'detached', skipClosed });
      return tf.addN(r.ys.map((y) => tf.sum(y))) as tf.Scalar;
    })([...xs, w]));
    await Promise.all(gs.map((g) => g.data()));
    tf.dispose(gs);
    return performance.now() - t0;
  };
  for (let i = 0; i < 2; i++) await step(i === 0);
  const on: number[] = [];
  const off: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < reps; i++) {
    // The order alternates, so drift and load hit both alike.
    const a = i % 2 ? await step(true) : 0;
    const o = await step(false);
    const a2 = i % 2 ? a : await step(true);
    on.push(a2);
    off.push(o);
    ratios.push(a2 / o);
  }
  const med = median;
  console.log(`[${b}×2, ${side}×${side}, ${cin}→${cout}] density 0.4: skip ${med(on).toFixed(1)} ms, dense dual conv ${med(off).toFixed(1)} ms, ratio (median of pairs) ${med(ratios).toFixed(3)}`);
  tf.dispose([...xs, w]);
}
