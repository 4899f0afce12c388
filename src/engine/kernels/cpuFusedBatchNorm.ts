// Inference-mode BatchNorm (tfjs' FusedBatchNorm: running mean and variance) for the cpu
// backend. tfjs' kernel keeps four wrapping indices and divides by a square root for every
// element; the features of a kNN pass or a probe (every image through the network) spent
// ~5 % of a CLI --tiny run's start in it. This walks one channel at a time with its mean,
// scale, offset and √(var + ε) in registers and computes each element exactly as tfjs does,
// offset + (x − mean)·scale / √(var + ε) in doubles stored as float32: the same values bit
// for bit. Parameters of other lengths than x's channels (or 1 where absent), other dtypes
// and empty tensors go to tfjs' kernel.
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';
import { take } from './cpuArrayPool';

type Args = {
  inputs: { x: tf.TensorInfo; mean: tf.TensorInfo; variance: tf.TensorInfo; scale?: tf.TensorInfo; offset?: tf.TensorInfo };
  backend: CpuBackendLike;
  attrs: { varianceEpsilon?: number };
};

const callOriginal = (args: Args) => callOriginalCpuKernel('FusedBatchNorm', args);

/** out = offset + (x − mean)·scale / √(variance + ε) over x's last axis (C channels). */
export function batchNormInference(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | undefined, offset: Float32Array | undefined, C: number, eps: number): Float32Array {
  const n = x.length;
  const out = take(n);
  for (let k = 0; k < C; k++) {
    const m = mean[k];
    const s = scale ? scale[k] : 1;
    const off = offset ? offset[k] : 0;
    const d = Math.sqrt(variance[k] + eps);
    for (let i = k; i < n; i += C) out[i] = off + ((x[i] - m) * s) / d;
  }
  return out;
}

function fusedBatchNormKernel(args: Args): tf.TensorInfo {
  const { x, mean, variance, scale, offset } = args.inputs;
  const C = x.shape[x.shape.length - 1] ?? 0;
  const all = [x, mean, variance, scale, offset].filter((t): t is tf.TensorInfo => t !== undefined);
  const perChannel = [mean, variance, scale, offset].every((t) => t === undefined || t.shape.reduce((p, d) => p * d, 1) === C);
  const size = x.shape.reduce((p, d) => p * d, 1);
  if (C === 0 || size === 0 || !perChannel || all.some((t) => t.dtype !== 'float32')) return callOriginal(args);
  const values = (t: tf.TensorInfo | undefined) => (t ? (args.backend.data.get(t.dataId).values as Float32Array) : undefined);
  const out = batchNormInference(values(x)!, values(mean)!, values(variance)!, values(scale), values(offset), C, args.attrs.varianceEpsilon ?? 0.001);
  return args.backend.makeTensorInfo(x.shape, 'float32', out);
}

/** Replace the cpu backend's FusedBatchNorm (idempotent). */
export function registerFastCpuFusedBatchNorm(): void {
  replaceCpuKernel('FusedBatchNorm', fusedBatchNormKernel);
}

/** tfjs' own cpu FusedBatchNorm, for parity tests. */
export function originalCpuFusedBatchNormKernel(): tf.KernelConfig | undefined {
  return originalCpuKernel('FusedBatchNorm');
}
