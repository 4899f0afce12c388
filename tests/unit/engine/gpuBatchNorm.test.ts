// The GPU backends' BatchNorm op (kernels/gpuBatchNorm.ts, plain tf ops, run here on the
// cpu backend) against tf.moments + tf.batchNorm differentiated by tfjs: output, batch
// moments and the gradients of x, γ and β, for NHWC and [B, F] inputs.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormTrainOps } from '../../../src/engine/kernels/gpuBatchNorm';

function close(a: tf.Tensor, b: tf.Tensor, tol: number): void {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  const scale = Math.max(1, ...Array.from(y, Math.abs));
  x.forEach((v, i) => expect(Math.abs(v - y[i]) / scale).toBeLessThan(tol));
}

describe('batchNormTrainOps', () => {
  it.each([[[4, 5, 6, 3]], [[7, 5]]])('shape %j: y, moments and gradients equal tfjs’ autodiff of moments + batchNorm', (shape) => {
    tf.tidy(() => {
      const c = shape[shape.length - 1];
      const axes = shape.length === 4 ? [0, 1, 2] : [0];
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 2);
      const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 2);
      const b = tf.randomNormal([c], 0, 1, 'float32', 3);
      const up = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const ref = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, axes);
        return tf.batchNorm(xx, mean, variance, bb, gg, 1e-5);
      };
      const ops = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => batchNormTrainOps(xx, gg, bb, 1e-5).y;
      const r = batchNormTrainOps(x, g, b, 1e-5);
      const m = tf.moments(x, axes);
      close(r.y, ref(x, g, b), 1e-5);
      close(r.mean, m.mean, 1e-6);
      close(r.variance, m.variance, 1e-5);
      const loss = (f: typeof ref) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb), up)) as tf.Scalar;
      const gr = tf.grads(loss(ref))([x, g, b]);
      const go = tf.grads(loss(ops))([x, g, b]);
      go.forEach((t, i) => close(t, gr[i], 1e-4));
      tf.dispose([r.mean, r.variance]);
    });
  });
});
