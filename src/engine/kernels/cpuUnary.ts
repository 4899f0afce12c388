// Float32 Relu, Step (ReLU's gradient) and ClipByValue (the augmentations) for tfjs' cpu
// backend as plain loops. tfjs' versions call a closure with the attributes per element
// (~14 ns an element: a [32, 16, 16, 8] Relu took 0.9 ms; Relu, Step and ClipByValue were
// ~10 ms of a default simclr-dense cpu step). Same formulas, NaN kept as tfjs keeps it;
// other dtypes go to tfjs' kernels.
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';
import { take } from './cpuArrayPool';

type Attrs = { alpha?: number; clipValueMin?: number; clipValueMax?: number };

/** The loops, one per op (no closure per element). */
export function unaryValues(name: 'Relu' | 'Step' | 'ClipByValue', x: Float32Array, attrs: Attrs): Float32Array {
  const out = take(x.length);
  const n = x.length;
  if (name === 'Relu') {
    for (let i = 0; i < n; i++) out[i] = Math.max(0, x[i]);
  } else if (name === 'Step') {
    const alpha = attrs.alpha ?? 0;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
    }
  } else {
    const lo = attrs.clipValueMin!;
    const hi = attrs.clipValueMax!;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = v > hi ? hi : v < lo ? lo : v;
    }
  }
  return out;
}

const NAMES = ['Relu', 'Step', 'ClipByValue'] as const;

/** Replace the cpu backend's Relu, Step and ClipByValue (idempotent). */
export function registerFastCpuUnary(): void {
  for (const name of NAMES) {
    replaceCpuKernel(name, (args: { inputs: { x: tf.TensorInfo }; backend: CpuBackendLike; attrs: Attrs }) => {
      const { x } = args.inputs;
      if (x.dtype !== 'float32') return callOriginalCpuKernel(name, args);
      return args.backend.makeTensorInfo(x.shape, 'float32', unaryValues(name, args.backend.data.get(x.dataId).values, args.attrs ?? {}));
    });
  }
}

/** tfjs' own cpu kernel of `name` (Relu, Step, ClipByValue), for parity tests. */
export function originalCpuUnaryKernel(name: string): tf.KernelConfig | undefined {
  return originalCpuKernel(name);
}
