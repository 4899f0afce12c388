// maskedConv2d's WebGPU branch: when conv(x, W ⊙ M) runs on the sparse programs of
// kernels/webgpuSparseConv.ts instead of the masked dense conv. The mask's layout comes
// from its host copy (maskValues.ts); a mask without one (made by other code) stays dense.
import * as tf from '@tensorflow/tfjs';
import { gpuSparsePattern, webgpuSparseConv, type GpuSparsePattern } from '../kernels/webgpuSparseConv';
import { maskValuesOf } from './maskValues';

/**
 * Density at or below which the sparse programs beat the masked dense conv on WebGPU
 * (forward + both gradients of every prunable conv, `npm run bench -- --kernels --backend
 * webgpu --tiny`, docs/bench.md). On SwiftShader, the only adapter measured, they win at
 * every density and kind (2:4 ~0.25×, unstructured 0.2 ~0.3×, channel 0.5 ~0.25×, and ~0.4×
 * at density 1: direct loops beat tfjs' tiled conv programs there even without skipping),
 * so the crossover is 1. A GPU may well differ: re-measure there and lower this.
 */
export const WEBGPU_SPARSE_CROSSOVER = 1;

const patterns = new WeakMap<tf.Tensor, GpuSparsePattern | null>();

/** The mask's pattern from its host copy (once per mask tensor), or null when it has none. */
export function gpuPatternOf(mask: tf.Tensor): GpuSparsePattern | null {
  let p = patterns.get(mask);
  if (p === undefined) {
    const host = maskValuesOf(mask);
    p = host && mask.rank === 4 ? gpuSparsePattern(host, mask.shape) : null;
    patterns.set(mask, p);
  }
  return p;
}

/** 'sparse' where the programs pay (or mode 'always', for tests and the kernel bench), else 'dense'. */
export function webgpuMaskedConvPath(mask: tf.Tensor, mode: 'auto' | 'always'): 'sparse' | 'dense' {
  const p = gpuPatternOf(mask);
  if (!p) return 'dense';
  if (mode === 'always') return 'sparse';
  return p.density <= WEBGPU_SPARSE_CROSSOVER ? 'sparse' : 'dense';
}

/** conv(x, W ⊙ M) on the sparse programs; the caller has chosen the 'sparse' path. */
export function webgpuMaskedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, stride: number): tf.Tensor4D {
  const p = gpuPatternOf(mask);
  if (!p) throw new Error('webgpuMaskedConv2d: the mask has no host copy (maskValues.ts)');
  return webgpuSparseConv(x, w, p, stride);
}

/**
 * conv(x, W ⊙ M) over the kept output channels only, as tf ops (gather the kept filters,
 * a smaller conv, expand the outputs with zeros where channels are pruned whole): the
 * channel-pruning alternative to the sparse programs, timed by the kernel bench.
 */
export function compactConvOps(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, stride: number): tf.Tensor4D {
  const p = gpuPatternOf(mask);
  if (!p) throw new Error('compactConvOps: the mask has no host copy (maskValues.ts)');
  const K = w.shape[3];
  const kept = p.keptOutputs;
  const where = new Int32Array(K).fill(kept.length); // pruned channels read the appended zero channel
  kept.forEach((k, i) => (where[k] = i));
  return tf.tidy(() => {
    const wc = tf.gather(tf.mul(w, mask), tf.tensor1d(kept, 'int32'), 3) as tf.Tensor4D;
    const yc = tf.conv2d(x, wc, stride, 'same');
    const padded = tf.concat([yc, tf.zeros([...yc.shape.slice(0, 3), 1])], 3);
    return tf.gather(padded, tf.tensor1d(where, 'int32'), 3) as tf.Tensor4D;
  });
}
