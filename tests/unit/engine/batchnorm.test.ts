// The cpu BatchNorm kernel must equal BatchNorm composed of tfjs ops, values and gradients.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
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

// The sums of docs/results.md's runs, written row by row (every channel's running sums in
// per-channel arrays): the kernel must give these bit for bit, or the documented runs stop
// reproducing. Same float64 sums in the same order per channel, float32 stores where the
// kernel's outputs are float32.
function rowOrderReference(xv: Float32Array, gv: Float32Array, bv: Float32Array, dv: Float32Array, c: number, eps: number) {
  const m = xv.length / c;
  const mu = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < xv.length; i += c) for (let k = 0; k < c; k++) mu[k] += xv[i + k];
  for (let k = 0; k < c; k++) mu[k] /= m;
  for (let i = 0; i < xv.length; i += c) for (let k = 0; k < c; k++) sq[k] += (xv[i + k] - mu[k]) ** 2;
  const variance = new Float32Array(c);
  const rstd = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    variance[k] = sq[k] / m;
    rstd[k] = 1 / Math.sqrt(variance[k] + eps);
  }
  const xhat = new Float64Array(xv.length);
  const y = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i += c) for (let k = 0; k < c; k++) {
    xhat[i + k] = Math.fround((xv[i + k] - mu[k]) * rstd[k]); // the backward reads x̂ as stored (float32)
    y[i + k] = gv[k] * ((xv[i + k] - mu[k]) * rstd[k]) + bv[k];
  }
  const dBeta = new Float64Array(c);
  const dGamma = new Float64Array(c);
  for (let i = 0; i < dv.length; i += c) for (let k = 0; k < c; k++) {
    dBeta[k] += dv[i + k];
    dGamma[k] += dv[i + k] * xhat[i + k];
  }
  const dx = new Float32Array(dv.length);
  for (let i = 0; i < dv.length; i += c) for (let k = 0; k < c; k++) dx[i + k] = ((gv[k] * rstd[k]) / m) * (m * dv[i + k] - dBeta[k] - xhat[i + k] * dGamma[k]);
  return { y, mean: Float32Array.from(mu), variance, dx, dGamma: Float32Array.from(dGamma), dBeta: Float32Array.from(dBeta) };
}

describe('cpu BatchNorm kernel, summation order', () => {
  it('equals the row-by-row sums bit for bit on random shapes (values, moments, gradients)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2 ** 30 }), (c, rows, seed) => {
        const shape = [rows, c];
        const x = tf.randomNormal(shape, 0.3, 2, 'float32', seed);
        const g = tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 1);
        const b = tf.randomNormal([c], 0, 1, 'float32', seed + 2);
        const dy = tf.randomNormal(shape, 0, 1, 'float32', seed + 3);
        const ref = rowOrderReference(x.dataSync() as Float32Array, g.dataSync() as Float32Array, b.dataSync() as Float32Array, dy.dataSync() as Float32Array, c, 1e-5);
        let stats: tf.Tensor[] = [];
        const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
          const o = batchNormTrainCpu(xx, gg, bb, 1e-5);
          stats = [o.mean, o.variance];
          return o.y;
        };
        const { value, grads } = tf.valueAndGrads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb), dy)) as tf.Scalar)([x, g, b]);
        const same = (got: tf.Tensor, want: Float32Array) => expect(Array.from(got.dataSync())).toEqual(Array.from(want));
        const y = f(x, g, b);
        same(y, ref.y);
        same(stats[0], ref.mean);
        same(stats[1], ref.variance);
        same(grads[0], ref.dx);
        same(grads[1], ref.dGamma);
        same(grads[2], ref.dBeta);
        tf.dispose([x, g, b, dy, value, y, ...grads, ...stats]);
      }),
      { numRuns: 40 },
    );
  });
});
