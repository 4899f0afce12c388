// Training-mode BatchNorm over the last axis for the cpu backend, forward and backward
// in plain loops. tfjs-cpu runs BN through broadcasting element-wise ops that index every
// element generically; at the default size they were ~70% of a cpu step. This computes
// the same function (biased batch variance, as tf.moments) as one custom-gradient op.
import * as tf from '@tensorflow/tfjs';

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** Batch mean and biased variance per channel (kept: the caller disposes them). */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

export function batchNormTrainCpu(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): BatchNormTrainResult {
  let mean!: tf.Tensor1D;
  let variance!: tf.Tensor1D;
  const op = tf.customGrad(((xIn: tf.Tensor, gIn: tf.Tensor, bIn: tf.Tensor) => {
    const xv = xIn.dataSync() as Float32Array;
    const gv = gIn.dataSync() as Float32Array;
    const bv = bIn.dataSync() as Float32Array;
    const c = xIn.shape[xIn.rank - 1];
    const m = xIn.size / c;
    const mu = new Float64Array(c);
    const sq = new Float64Array(c);
    for (let i = 0; i < xv.length; i += c) for (let k = 0; k < c; k++) mu[k] += xv[i + k];
    for (let k = 0; k < c; k++) mu[k] /= m;
    for (let i = 0; i < xv.length; i += c) for (let k = 0; k < c; k++) { const d = xv[i + k] - mu[k]; sq[k] += d * d; }
    const rstd = new Float32Array(c);
    const varOut = new Float32Array(c);
    for (let k = 0; k < c; k++) { varOut[k] = sq[k] / m; rstd[k] = 1 / Math.sqrt(varOut[k] + eps); }
    const xhat = new Float32Array(xv.length);
    const y = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i += c) {
      for (let k = 0; k < c; k++) {
        const h = (xv[i + k] - mu[k]) * rstd[k];
        xhat[i + k] = h;
        y[i + k] = gv[k] * h + bv[k];
      }
    }
    mean = tf.keep(tf.tensor1d(Float32Array.from(mu)));
    variance = tf.keep(tf.tensor1d(varOut));
    return {
      value: tf.tensor(y, xIn.shape),
      gradFunc: (dy: tf.Tensor) => {
        const dv = dy.dataSync() as Float32Array;
        const dBeta = new Float64Array(c);
        const dGamma = new Float64Array(c);
        for (let i = 0; i < dv.length; i += c) {
          for (let k = 0; k < c; k++) { dBeta[k] += dv[i + k]; dGamma[k] += dv[i + k] * xhat[i + k]; }
        }
        // dx = γ·rstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂))
        const dx = new Float32Array(dv.length);
        for (let i = 0; i < dv.length; i += c) {
          for (let k = 0; k < c; k++) dx[i + k] = ((gv[k] * rstd[k]) / m) * (m * dv[i + k] - dBeta[k] - xhat[i + k] * dGamma[k]);
        }
        return [tf.tensor(dx, xIn.shape), tf.tensor1d(Float32Array.from(dGamma)), tf.tensor1d(Float32Array.from(dBeta))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta) as tf.Tensor;
  return { y, mean, variance };
}
