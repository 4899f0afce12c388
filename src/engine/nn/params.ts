// Parameter maps: every weight is a named tensor in a plain map, so masks, EMA targets
// and per-branch effective weights can address any of them directly (no tf.layers).
import * as tf from '@tensorflow/tfjs';

/** Named tensors of one network. Trainable maps hold tf.Variable; a branch may substitute plain tensors. */
export type ParamMap = Record<string, tf.Tensor>;
export type VariableMap = Record<string, tf.Variable>;

/** BatchNorm running statistics of one network, by BN layer name. */
export type RunningStats = Record<string, { mean: tf.Variable; variance: tf.Variable }>;

/** Deterministic per-parameter seed: the run seed and the parameter's name, so adding a layer does not reshuffle the others. */
export function paramSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return tfSeed(h % 2147483647);
}

/**
 * A seed tfjs keeps: its random ops take a falsy seed (0) as "none" and draw from
 * Math.random, so seed 0 (a valid run seed) would not reproduce. 0 maps to a fixed other value.
 */
export function tfSeed(seed: number): number {
  return seed === 0 ? 0x5eed : seed;
}

/** He-normal init (fan_in), suited to ReLU networks. */
export function heNormal(shape: number[], fanIn: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
}

/** PyTorch's default Linear init: U(−1/√fan_in, 1/√fan_in). */
export function fanInUniform(shape: number[], fanIn: number, seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', seed);
}

export function variablesOf(map: Record<string, tf.Tensor>, trainable = true, prefix = ''): VariableMap {
  const out: VariableMap = {};
  for (const [k, t] of Object.entries(map)) out[k] = tf.variable(t, trainable, `${prefix}${k}_${Math.random().toString(36).slice(2, 8)}`);
  return out;
}

export function disposeMap(map: Record<string, tf.Tensor> | undefined): void {
  if (map) for (const t of Object.values(map)) t.dispose();
}

export function disposeStats(stats: RunningStats | undefined): void {
  if (stats) for (const s of Object.values(stats)) { s.mean.dispose(); s.variance.dispose(); }
}

/** Number of scalar weights in a map. */
export function countParams(map: Record<string, tf.Tensor>): number {
  return Object.values(map).reduce((n, t) => n + t.size, 0);
}
