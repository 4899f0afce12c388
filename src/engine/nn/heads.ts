// MLP heads over pooled features: projector g (SimCLR, BYOL) and predictor q (BYOL):
// linear → BatchNorm → ReLU → linear, optionally followed by a BatchNorm without affine
// terms (`outBn`, SimSiam's projector ends so). Weights [in, out], row-vector convention.
import * as tf from '@tensorflow/tfjs';
import { batchNorm } from './batchnorm';
import { fanInUniform, paramSeed, type ParamMap } from './params';
import type { Branch } from './resnet';

export interface MlpSpec { prefix: string; inDim: number; hidden: number; outDim: number; outBn?: boolean }

export function initMlp(spec: MlpSpec, seed: number): { params: ParamMap; stats: Record<string, { mean: tf.Tensor; variance: tf.Tensor }> } {
  const p = spec.prefix;
  const params: ParamMap = {
    [`${p}.fc1.w`]: fanInUniform([spec.inDim, spec.hidden], spec.inDim, paramSeed(seed, `${p}.fc1.w`)),
    [`${p}.fc1.b`]: tf.zeros([spec.hidden]),
    [`${p}.bn.gamma`]: tf.ones([spec.hidden]),
    [`${p}.bn.beta`]: tf.zeros([spec.hidden]),
    [`${p}.fc2.w`]: fanInUniform([spec.hidden, spec.outDim], spec.hidden, paramSeed(seed, `${p}.fc2.w`)),
    [`${p}.fc2.b`]: tf.zeros([spec.outDim]),
  };
  const stats: Record<string, { mean: tf.Tensor; variance: tf.Tensor }> = { [`${p}.bn`]: { mean: tf.zeros([spec.hidden]), variance: tf.ones([spec.hidden]) } };
  if (spec.outBn) stats[`${p}.outbn`] = { mean: tf.zeros([spec.outDim]), variance: tf.ones([spec.outDim]) };
  return { params, stats };
}

export function forwardMlp(spec: MlpSpec, branch: Branch, x: tf.Tensor2D, training: boolean): tf.Tensor2D {
  const p = spec.prefix;
  const P = branch.params;
  const h = tf.add(tf.matMul(x, P[`${p}.fc1.w`] as tf.Tensor2D), P[`${p}.fc1.b`]);
  const n = batchNorm(h, `${p}.bn`, P[`${p}.bn.gamma`], P[`${p}.bn.beta`], branch.stats?.[`${p}.bn`], training, branch.moments);
  const out = tf.add(tf.matMul(tf.relu(n) as tf.Tensor2D, P[`${p}.fc2.w`] as tf.Tensor2D), P[`${p}.fc2.b`]) as tf.Tensor2D;
  if (!spec.outBn) return out;
  // No affine terms: every output unit is standardised over the batch.
  return batchNorm(out, `${p}.outbn`, tf.ones([spec.outDim]), tf.zeros([spec.outDim]), branch.stats?.[`${p}.outbn`], training, branch.moments) as tf.Tensor2D;
}

/**
 * Parameters that get no weight decay: biases and BN affine terms (the usual convention),
 * and CDG's learned thresholds Δ (`cdg.<layer>.delta`): decay would pull a threshold toward
 * 0, opening gates against the density penalty that sets it.
 */
export function isNoDecay(name: string): boolean {
  return name.endsWith('.b') || name.endsWith('.gamma') || name.endsWith('.beta') || name.endsWith('.delta');
}
