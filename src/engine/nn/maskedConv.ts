// conv(x, W ⊙ M) for a masked prunable conv: on the cpu backend, when the mask is sparse
// enough for skipping to pay, through the row-sparse kernels (kernels/cpuSparseConv.ts)
// that touch only kept weights; otherwise the masked dense conv, which stays the reference
// the sparse path is tested against. Gradients are those of conv(x, W ⊙ M): dx, and dW
// at kept positions (zero elsewhere, as the product's gradient is).
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropInputValues, conv2DForwardValues, geometryOf } from '../kernels/cpuConv2D';
import { conv2DBackpropFilterValues } from '../kernels/cpuConv2DBackpropFilter';
import {
  gatherKept,
  rowSparsePattern,
  scatterKept,
  sparseConvBackpropFilter,
  sparseConvBackpropInput,
  sparseConvForward,
  type RowSparsePattern,
} from '../kernels/cpuSparseConv';
import { webgpuMaskedConv2d, webgpuMaskedConvPath } from './webgpuMaskedConv';

/**
 * Densities at or below which the row-sparse kernels beat the dense ones on the cpu
 * backend (forward + both gradients of a default-size layer; measured by
 * `npm run bench -- --kernels`, see docs/bench.md). Above it the index overhead of the
 * sparse rows costs more than the skipped multiplies save.
 */
export const CPU_SPARSE_CROSSOVER = 0.6;

export type SparseKernelMode = 'auto' | 'off' | 'always';

// A mask tensor keeps its pattern until it is replaced (SyncCP makes new mask tensors at
// each update), so the pattern is built once per mask, not once per step.
const patterns = new WeakMap<tf.Tensor, RowSparsePattern>();

function patternOf(mask: tf.Tensor): RowSparsePattern {
  let p = patterns.get(mask);
  if (!p) {
    p = rowSparsePattern(mask.dataSync(), mask.shape[3]!);
    patterns.set(mask, p);
  }
  return p;
}

/**
 * How conv(x, W ⊙ M) runs:
 * - 'compact': cpu, some output channels are pruned whole (channel pruning): the conv
 *   computes only the kept ones (W ⊙ M gathered to them) and the output is expanded with
 *   zeros, at dense-kernel speed per kept channel;
 * - 'rows': cpu only, the row-sparse kernels, where the mask is sparse enough to pay;
 * - 'dense': multiply by the mask and convolve densely (the reference).
 * - 'wgsl': WebGPU only, the sparse programs over compressed weights (nn/webgpuMaskedConv.ts).
 */
export type MaskedConvPath = 'dense' | 'compact' | 'rows' | 'wgsl';

/** Kept output channels at or below this fraction make the compact conv pay (the gathers cost a little). */
const COMPACT_BELOW = 0.9;

export function maskedConvPath(mask: tf.Tensor, mode: SparseKernelMode): MaskedConvPath {
  // WebGPU: its own programs and crossover, from the mask's host copy (nn/webgpuMaskedConv.ts).
  if (mode !== 'off' && tf.getBackend() === 'webgpu') return webgpuMaskedConvPath(mask, mode) === 'sparse' ? 'wgsl' : 'dense';
  // Only the cpu backend has these kernels: elsewhere decide before reading the mask (on a
  // GPU that read would be a readback of every new mask).
  if (mode === 'off' || tf.getBackend() !== 'cpu') return 'dense';
  if (mode === 'always') return 'rows';
  const p = patternOf(mask);
  const K = mask.shape[3]!;
  const kept = p.keptOutputs.length;
  if (kept > 0 && kept <= COMPACT_BELOW * K) return 'compact';
  return p.density <= CPU_SPARSE_CROSSOVER ? 'rows' : 'dense';
}

/** Whether conv(x, W ⊙ M) skips masked work in this mode on the current backend. */
export function usesSparseKernel(mask: tf.Tensor, mode: SparseKernelMode): boolean {
  return maskedConvPath(mask, mode) !== 'dense';
}

type GradFn = Parameters<typeof tf.customGrad>[0];

/** y = conv(x, W ⊙ M, stride, 'same') with x [B, H, W, C], W and M [FH, FW, C, K]. */
export function maskedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, stride: number, mode: SparseKernelMode = 'auto'): tf.Tensor4D {
  const path = maskedConvPath(mask, mode);
  if (path === 'dense') return tf.tidy(() => tf.conv2d(x, tf.mul(w, mask) as tf.Tensor4D, stride, 'same'));
  if (path === 'wgsl') return webgpuMaskedConv2d(x, w, mask, stride);
  if (path === 'compact') return compactConvCpu(x, w, mask, stride, patternOf(mask).keptOutputs);
  return rowSparseConv(x, w, patternOf(mask), stride);
}

// The mask's kept columns, like its pattern, once per mask tensor rather than once a step.
const maskColumns = new WeakMap<tf.Tensor, Float32Array>();

function keptColumnsOf(mask: tf.Tensor, K: number, kept: Int32Array): Float32Array {
  let mc = maskColumns.get(mask);
  if (!mc) {
    mc = gatherColumns(mask.dataSync(), K, kept);
    maskColumns.set(mask, mc);
  }
  return mc;
}

/** Columns `kept` of a row-major [rows, K] array, as [rows, kept.length]. */
function gatherColumns(a: ArrayLike<number>, K: number, kept: Int32Array): Float32Array {
  const Kc = kept.length;
  const rows = a.length / K;
  const out = new Float32Array(rows * Kc);
  for (let r = 0; r < rows; r++) for (let j = 0; j < Kc; j++) out[r * Kc + j] = a[r * K + kept[j]];
  return out;
}

/** The inverse of gatherColumns: [rows, kept.length] into zeros [rows, K]. */
function scatterColumns(a: Float32Array, K: number, kept: Int32Array): Float32Array {
  const Kc = kept.length;
  const rows = a.length / Kc;
  const out = new Float32Array(rows * K);
  for (let r = 0; r < rows; r++) for (let j = 0; j < Kc; j++) out[r * K + kept[j]] = a[r * Kc + j];
  return out;
}

/**
 * The conv over the kept output channels only (pruned channels' outputs are zeros): gathers
 * in typed arrays around the dense kernels (tfjs' Gather along the last axis and its
 * gradient cost more than the conv saved, 6x a layer's time).
 */
function compactConvCpu(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, stride: number, kept: Int32Array): tf.Tensor4D {
  const [FH, FW, C, K] = w.shape;
  const info = tf.backend_util.computeConv2DInfo(x.shape, [FH, FW, C, kept.length], stride, 1, 'same', undefined, false, 'channelsLast');
  const mc = keptColumnsOf(mask, K, kept);
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const wc = gatherColumns(wT.dataSync(), K, kept);
    for (let i = 0; i < wc.length; i++) wc[i] *= mc[i];
    const xv = xT.dataSync() as Float32Array;
    save([xT]);
    return {
      value: tf.tensor4d(scatterColumns(conv2DForwardValues(xv, wc, info), K, kept), [info.batchSize, info.outHeight, info.outWidth, K]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dyc = gatherColumns(dy.dataSync(), K, kept);
        const dx = conv2DBackpropInputValues(dyc, wc, info);
        const dwc = conv2DBackpropFilterValues(saved[0].shape, saved[0].dataSync(), dyc, { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: [FH, FW, C, kept.length] });
        for (let i = 0; i < dwc.length; i++) dwc[i] *= mc[i];
        return [tf.tensor(dx, saved[0].shape, 'float32'), tf.tensor(scatterColumns(dwc, K, kept), w.shape, 'float32')];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}

function rowSparseConv(x: tf.Tensor4D, w: tf.Tensor4D, p: RowSparsePattern, stride: number): tf.Tensor4D {
  const g = geometryOf(tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same', undefined, false, 'channelsLast'));
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const kept = gatherKept(wT.dataSync(), p);
    save([xT]);
    return {
      value: tf.tensor4d(sparseConvForward(xT.dataSync() as Float32Array, p, kept, g), [g.B, g.OH, g.OW, g.K]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dv = dy.dataSync() as Float32Array;
        const dx = sparseConvBackpropInput(dv, p, kept, g);
        const dw = scatterKept(sparseConvBackpropFilter(saved[0].dataSync() as Float32Array, dv, p, g), p);
        return [tf.tensor(dx, saved[0].shape, 'float32'), tf.tensor(dw, w.shape, 'float32')];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}
