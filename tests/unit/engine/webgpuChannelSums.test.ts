// BatchNorm's per-channel sums on WebGPU (kernels/webgpuChannelSums.ts: partial sums, then their
// sum) against a float64 sum written out here, on row counts around the parts' bounds and channel counts
// 1–17; and the GPU BatchNorm op that uses them on webgpu against tfjs' moments + batchNorm
// differentiated by tfjs on the same backend. Dawn in Node; skipped without a WebGPU adapter.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { batchNormTrainOps } from '../../../src/engine/kernels/gpuBatchNorm';
import { webgpuChannelSums } from '../../../src/engine/kernels/webgpuChannelSums';
import { Rng } from '../../../src/engine/random';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

describe.skipIf(!haveWebGPU)('WebGPU channel sums', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equal float64 sums over the rows, per channel', async () => {
    const rng = new Rng(3);
    // Row counts around the parts' bounds (1 part up to 511 rows, ~256 rows a part, at most 64 parts).
    for (const [m, c] of [[1, 1], [127, 3], [128, 8], [129, 17], [511, 3], [512, 4], [767, 2], [4096, 16], [5003, 5], [16391, 3], [70001, 2]]) {
      const v = Float32Array.from({ length: m * c }, () => rng.next() * 2 - 1);
      const want = new Float64Array(c);
      for (let i = 0; i < v.length; i++) want[i % c] += v[i];
      const t = tf.tensor2d(v, [m, c]);
      const s = webgpuChannelSums(t, m, c);
      expect(s.shape).toEqual([1, c]);
      const got = await s.data();
      for (let k = 0; k < c; k++) expect(Math.abs(got[k] - want[k]), `[${m}, ${c}] channel ${k}`).toBeLessThan(1e-5 * Math.max(1, Math.sqrt(m)));
      tf.dispose([t, s]);
    }
  });

  it('BatchNorm on webgpu: y, moments and gradients equal tfjs’ autodiff of moments + batchNorm', async () => {
    const before = tf.memory().numTensors;
    const shape = [3, 5, 7, 6];
    const res = tf.tidy(() => {
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 2);
      const g = tf.randomUniform([6], 0.5, 1.5, 'float32', 2);
      const b = tf.randomNormal([6], 0, 1, 'float32', 3);
      const up = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const ref = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.batchNorm(xx, mean, variance, bb, gg, 1e-5);
      };
      const ops = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const r = batchNormTrainOps(xx, gg, bb, 1e-5);
        tf.dispose([r.mean, r.variance]); // kept for the caller's running statistics
        return r.y;
      };
      const loss = (f: typeof ref) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb), up)) as tf.Scalar;
      return [ops(x, g, b), ref(x, g, b), ...tf.grads(loss(ops))([x, g, b]), ...tf.grads(loss(ref))([x, g, b])];
    });
    const d = await Promise.all(res.map((t) => t.data()));
    const pairs: [number, number, string][] = [[0, 1, 'y'], [2, 5, 'dx'], [3, 6, 'dγ'], [4, 7, 'dβ']];
    for (const [i, j, what] of pairs) {
      const scale = Math.max(1, ...Array.from(d[j], Math.abs));
      d[i].forEach((v, k) => expect(Math.abs(v - d[j][k]) / scale, what).toBeLessThan(1e-4));
    }
    tf.dispose(res);
    expect(tf.memory().numTensors).toBe(before);
  });
});
