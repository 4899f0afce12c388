// The cpu BatchNorm kernel must equal BatchNorm composed of tfjs ops, values and gradients.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormTrainCpu } from '../../../src/engine/kernels/cpuBatchNorm';

function reference(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
}

async function close(a: tf.Tensor, b: tf.Tensor, tol: number) {
  const av = await a.data();
  const bv = await b.data();
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < av.length; i++) expect(Math.abs(av[i] - bv[i])).toBeLessThan(tol * (1 + Math.abs(bv[i])));
}

describe('cpu BatchNorm kernel', () => {
  it.each([[[4, 3, 3, 5]], [[6, 7]], [[2, 5, 4, 3]]])('matches tf ops on shape %j (values, moments, gradients)', async (shape) => {
    const c = shape.at(-1)!;
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 11);
    const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 12);
    const b = tf.randomNormal([c], 0, 1, 'float32', 13);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 14); // a non-trivial upstream gradient
    const r = batchNormTrainCpu(x, g, b, 1e-5);
    await close(r.y, reference(x, g, b, 1e-5), 1e-4);
    const axes = Array.from({ length: shape.length - 1 }, (_, i) => i);
    const m = tf.moments(x, axes);
    await close(r.mean, m.mean, 1e-5);
    await close(r.variance, m.variance, 1e-4);
    const loss = (f: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb), w)) as tf.Scalar;
    const ours = tf.grads(loss((xx, gg, bb) => {
      const o = batchNormTrainCpu(xx, gg, bb, 1e-5);
      tf.dispose([o.mean, o.variance]);
      return o.y;
    }))([x, g, b]);
    const ref = tf.grads(loss((xx, gg, bb) => reference(xx, gg, bb, 1e-5)))([x, g, b]);
    for (let i = 0; i < 3; i++) await close(ours[i], ref[i], 1e-3);
  });
});
