// tfjs-backend-wasm lacks Conv2DBackpropFilter; wasmKernels.ts registers ours for it. The
// weight gradient on wasm matches the cpu backend's on random strided convs, and a tiny
// training run gives the same losses on wasm as on cpu.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { initWasmBackend } from '../../../src/engine/kernels/wasmKernels';
import { Trainer } from '../../../src/engine/trainer';

afterAll(async () => {
  await tf.setBackend('cpu');
});

async function onBackend<T>(name: string, f: () => Promise<T>): Promise<T> {
  if (name === 'wasm') expect(await initWasmBackend()).toMatchObject({ ok: true });
  else await tf.setBackend(name);
  return f();
}

describe('wasm backend for training', () => {
  it('Conv2DBackpropFilter on wasm with ∞ and NaN in dy: 0 · ∞ is NaN, as on cpu (a diverging run’s NaN is not hidden)', async () => {
    // Half of x is 0 (a ReLU's output): the fast loop skips those products.
    for (const [k, stride] of [[1, 1], [3, 2]]) {
      const x = Float32Array.from({ length: 1 * 5 * 5 * 2 }, (_, i) => (i % 2 === 0 ? 0 : 1 + (i % 3)));
      const dyShape = [1, Math.ceil(5 / stride), Math.ceil(5 / stride), 3];
      const dy = Float32Array.from({ length: dyShape.reduce((a, b) => a * b) }, (_, i) => (i === 0 ? Infinity : i === 4 ? Number.NaN : 0.5));
      const grad = () =>
        tf.tidy(() => {
          const g = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(tf.tensor4d(x, [1, 5, 5, 2]), w as tf.Tensor4D, stride, 'same'), tf.tensor(dy, dyShape))))(tf.zeros([k, k, 2, 3]));
          return Array.from(g.dataSync());
        });
      const cpu = await onBackend('cpu', async () => grad());
      const wasm = await onBackend('wasm', async () => grad());
      // dy's ∞ meeting x's zeros, and its NaN, make NaN entries on cpu: wasm must have the same ones.
      expect(cpu.some((v) => Number.isNaN(v))).toBe(true);
      expect(wasm.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(cpu.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
    }
  });

  // From a cpu-kernels hunt: the plain loop (a dy with NaN or ∞) read NCHW inputs as NHWC and
  // returned wrong values without a word. The app builds NHWC only; another layout is refused.
  it('Conv2DBackpropFilter on wasm refuses NCHW, finite dy or not', async () => {
    await onBackend('wasm', async () => {
      for (const fill of [0.5, Number.NaN]) {
        const x = tf.ones([1, 2, 3, 3]);
        const dy = tf.fill([1, 2, 3, 3], fill);
        expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 2, 2] } as never)).toThrow(/only NHWC/);
        tf.dispose([x, dy]);
      }
    });
  });

  it('Conv2DBackpropFilter on wasm equals the cpu backend (3×3 stride 1 and 2, 1×1 stride 2)', async () => {
    for (const [k, stride] of [[3, 1], [3, 2], [1, 2]]) {
      const x = Float32Array.from({ length: 2 * 7 * 7 * 5 }, (_, i) => Math.sin(i * 1.7));
      const dyShape = [2, Math.ceil(7 / stride), Math.ceil(7 / stride), 6];
      const dy = Float32Array.from({ length: dyShape.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 0.3));
      const grad = () =>
        tf.tidy(() => {
          // ∂/∂W Σ(conv(x, W) ⊙ dy) is the weight gradient for upstream gradient dy.
          const xt = tf.tensor4d(x, [2, 7, 7, 5]);
          const dyt = tf.tensor(dy, dyShape);
          const g = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, w as tf.Tensor4D, stride, 'same'), dyt)))(tf.zeros([k, k, 5, 6]));
          return g.dataSync().slice();
        });
      const cpu = await onBackend('cpu', async () => grad());
      const wasm = await onBackend('wasm', async () => grad());
      expect(wasm.length).toBe(k * k * 5 * 6);
      wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 3));
    }
  });

  it('a tiny simclr-dense and cdg run: the same losses on wasm as on cpu', async () => {
    const losses = async () => {
      const out: number[] = [];
      for (const preset of ['simclr-dense', 'cdg']) {
        const config = buildConfig({ preset, tiny: true, overrides: { cdg: preset === 'cdg' ? { schedule: { start: 0, end: 0 } } : null } });
        const ds = await loadDataset('shapes', { seed: 1, trainCount: 64, testCount: 16 });
        const t = new Trainer(config, ds);
        for (let i = 0; i < 3; i++) out.push((await t.trainStep()).loss);
        t.dispose();
      }
      return out;
    };
    const cpu = await onBackend('cpu', losses);
    const wasm = await onBackend('wasm', losses);
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i], 3));
  });
});
