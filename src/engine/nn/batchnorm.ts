// BatchNorm over NHWC (axes 0,1,2) or NC (axis 0): batch statistics in training,
// running statistics in evaluation. Batch moments are handed out through a collector
// so the running averages are updated after the gradient step, outside the tape.
import * as tf from '@tensorflow/tfjs';
import { batchNormTrainCpu } from '../kernels/cpuBatchNorm';
import { batchNormTrainOps } from '../kernels/gpuBatchNorm';

export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

export interface BatchMoments { name: string; mean: tf.Tensor1D; variance: tf.Tensor1D }

export function batchNorm(
  x: tf.Tensor,
  name: string,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  running: { mean: tf.Tensor; variance: tf.Tensor } | undefined,
  training: boolean,
  collect?: BatchMoments[],
): tf.Tensor {
  const backend = tf.getBackend();
  if ((training || !running) && (backend === 'cpu' || backend === 'webgpu' || backend === 'webgl')) {
    const r = backend === 'cpu' ? batchNormTrainCpu(x, gamma, beta, BN_EPSILON) : batchNormTrainOps(x, gamma, beta, BN_EPSILON);
    if (collect) collect.push({ name, mean: r.mean, variance: r.variance });
    else tf.dispose([r.mean, r.variance]);
    return r.y;
  }
  if (training || !running) {
    const axes = x.rank === 4 ? [0, 1, 2] : [0];
    const { mean, variance } = tf.moments(x, axes);
    if (collect) collect.push({ name, mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D });
    return tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON);
  }
  return tf.batchNorm(x, running.mean, running.variance, beta, gamma, BN_EPSILON);
}
