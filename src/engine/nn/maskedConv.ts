// conv(x, W ⊙ M) for a masked prunable conv: on the cpu backend, when the mask is sparse
// enough for skipping to pay, through the row-sparse kernels (kernels/cpuSparseConv.ts)
// that touch only kept weights; otherwise the masked dense conv, which stays the reference
// the sparse path is tested against. Gradients are those of conv(x, W ⊙ M): dx, and dW
// at kept positions (zero elsewhere, as the product's gradient is).
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropInputValues, conv2DForwardValues, geometryOf } from '../kernels/cpuConv2D';
import { conv2DBackpropFilterValues } from '../kernels/cpuConv2DBackpropFilter';
import { allFinite } from '../kernels/finiteValues';
import {
  gatherKept,
  nonzeroLists,
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
 * `npm run bench -- --kernels`, see docs/bench.md). It was 0.7 (0.87× at 0.7) against the
 * 4-wide dense loops; against the 8-wide ones row-sparse takes 0.82× the masked dense time
 * at 0.2, 0.85× at 0.3, 1.00× at 0.4, 1.02× at 0.5 and 1.49× at 0.7, and 1.17× on a 2:4
 * mask: the index loads of a sparse row cost what the skipped multiplies save.
 */
export const CPU_SPARSE_CROSSOVER = 0.4;

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

/**
 * Kept output channels at or below this fraction make the compact conv pay (the gathers
 * cost a little, and a kept count that is not a multiple of 4 or 8 runs narrower loops):
 * `npm run bench -- --kernels` gave 0.66× the masked dense time at 0.25, 0.70× at 0.5 and
 * 1.13× at 0.75 (0.9 before the 8-wide dense loops).
 */
export const COMPACT_BELOW = 0.7;

export function maskedConvPath(mask: tf.Tensor, mode: SparseKernelMode, liveInputs?: Int32Array): MaskedConvPath {
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
  // Input channels that are exact zeros (the previous conv's pruned outputs): a conv over the
  // live ones only.
  if (kept > 0 && liveInputs && liveInputs.length > 0 && liveInputs.length <= COMPACT_BELOW * mask.shape[2]!) return 'compact';
  return p.density <= CPU_SPARSE_CROSSOVER ? 'rows' : 'dense';
}

/** Whether conv(x, W ⊙ M) skips masked work in this mode on the current backend. */
export function usesSparseKernel(mask: tf.Tensor, mode: SparseKernelMode, liveInputs?: Int32Array): boolean {
  return maskedConvPath(mask, mode, liveInputs) !== 'dense';
}

/**
 * The output channels a mask keeps (at least one kept weight), when the cpu kernels may skip
 * the others and some are pruned whole; undefined otherwise (mode 'off', another backend, or
 * no channel pruned). The next conv's input channels outside this list are exact zeros
 * (resnet.ts masks BN's γ and β of pruned channels), so it may skip them.
 */
export function liveOutputChannels(mask: tf.Tensor, mode: SparseKernelMode): Int32Array | undefined {
  if (mode === 'off' || tf.getBackend() !== 'cpu') return undefined;
  const kept = patternOf(mask).keptOutputs;
  return kept.length < mask.shape[3]! ? kept : undefined;
}

/**
 * 1 for each output channel the mask keeps (any kept weight), 0 for one pruned whole, as a
 * [C_out] tensor to multiply BN's γ and β by, so a pruned channel's BN output is exactly 0;
 * undefined when no channel is pruned (known without a kernel on the cpu; elsewhere a
 * max over the mask, computed on the device: no readback).
 */
export function outputChannelKeep(mask: tf.Tensor): tf.Tensor1D | undefined {
  if (tf.getBackend() !== 'cpu') return tf.max(mask, [0, 1, 2]) as tf.Tensor1D;
  const p = patternOf(mask);
  const K = mask.shape[3]!;
  if (p.keptOutputs.length === K) return undefined;
  const keep = new Float32Array(K);
  for (const k of p.keptOutputs) keep[k] = 1;
  return tf.tensor1d(keep);
}

type GradFn = Parameters<typeof tf.customGrad>[0];

/**
 * y = conv(x, W ⊙ M, stride, 'same') with x [B, H, W, C], W and M [FH, FW, C, K].
 * `liveInputs` (optional, ascending): the input channels that may be nonzero; the caller
 * promises the others are exact zeros (liveOutputChannels of the previous conv), so the cpu
 * kernels skip them. Their dx is then returned as 0: exact for the composite gradient, as the
 * zeros come from ReLU(0) after a BN whose γ and β are masked to 0 there. (With no live input
 * at all nothing is skipped.)
 */
export function maskedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, stride: number, mode: SparseKernelMode = 'auto', liveInputs?: Int32Array): tf.Tensor4D {
  // No live input (a layer pruned to nothing before this one) or all of them: nothing to gather.
  if (liveInputs && (liveInputs.length === 0 || liveInputs.length === x.shape[3])) liveInputs = undefined;
  const chosen = maskedConvPath(mask, mode, liveInputs);
  // The cpu sparse paths never read a pruned weight and skip zero inputs, so a NaN or ∞ weight
  // (which the masked dense conv spreads as tfjs does: NaN · 0 is NaN) goes the dense way.
  const path = (chosen === 'compact' || chosen === 'rows') && !allFinite(w.dataSync()) ? 'dense' : chosen;
  if (path === 'dense') return tf.tidy(() => tf.conv2d(x, tf.mul(w, mask) as tf.Tensor4D, stride, 'same'));
  if (path === 'wgsl') return webgpuMaskedConv2d(x, w, mask, stride);
  if (path === 'compact') return compactConvCpu(x, w, mask, stride, patternOf(mask).keptOutputs, liveInputs);
  return rowSparseConv(x, w, mask, patternOf(mask), stride);
}

/**
 * The gradients of conv(x, W ⊙ M) as the masked dense conv takes them, for a dy holding NaN or
 * ∞: the sparse loops skip zero inputs and pruned weights, which turned 0 · NaN into 0 where
 * tfjs gives NaN (a step whose loss is finite but whose gradients are not must spread them as
 * the reference does, so the next loss says so).
 */
function denseGradients(x: tf.Tensor, w: tf.Tensor, mask: tf.Tensor, stride: number, dy: tf.Tensor): tf.Tensor[] {
  // The kernels tfjs' Conv2D gradient runs (a gradient cannot be taken inside a gradient).
  return tf.tidy(() => {
    const wm = tf.mul(w, mask);
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: wm }, { ...attrs, inputShape: x.shape } as never) as tf.Tensor;
    const dwm = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape } as never) as tf.Tensor;
    return [dx, tf.mul(dwm, mask)];
  });
}

// The mask gathered to the compact conv's kernel, like its pattern, once per mask tensor (and
// set of live inputs) rather than once a step.
const compactMasks = new WeakMap<tf.Tensor, { liveInputs: Int32Array | undefined; values: Float32Array }>();

function compactMaskOf(mask: tf.Tensor, keptOut: Int32Array, liveInputs: Int32Array | undefined): Float32Array {
  let c = compactMasks.get(mask);
  if (!c || c.liveInputs !== liveInputs) {
    const [FH, FW, C, K] = mask.shape;
    c = { liveInputs, values: gatherKernel(mask.dataSync(), FH! * FW!, C!, K!, liveInputs, keptOut) };
    compactMasks.set(mask, c);
  }
  return c.values;
}

/** Input channels `ins` (all when undefined) and output channels `outs` of a kernel [taps, C, K], as [taps, ins, outs]. */
function gatherKernel(w: ArrayLike<number>, taps: number, C: number, K: number, ins: Int32Array | undefined, outs: Int32Array): Float32Array {
  const Ci = ins ? ins.length : C;
  const Ko = outs.length;
  const out = new Float32Array(taps * Ci * Ko);
  for (let t = 0; t < taps; t++)
    for (let i = 0; i < Ci; i++) {
      const src = (t * C + (ins ? ins[i] : i)) * K;
      const dst = (t * Ci + i) * Ko;
      for (let j = 0; j < Ko; j++) out[dst + j] = w[src + outs[j]];
    }
  return out;
}

/** The inverse of gatherKernel: [taps, ins, outs] into zeros [taps, C, K]. */
function scatterKernel(a: Float32Array, taps: number, C: number, K: number, ins: Int32Array | undefined, outs: Int32Array): Float32Array {
  const Ci = ins ? ins.length : C;
  const Ko = outs.length;
  const out = new Float32Array(taps * C * K);
  for (let t = 0; t < taps; t++)
    for (let i = 0; i < Ci; i++) {
      const dst = (t * C + (ins ? ins[i] : i)) * K;
      const src = (t * Ci + i) * Ko;
      for (let j = 0; j < Ko; j++) out[dst + outs[j]] = a[src + j];
    }
  return out;
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
 * The conv over the kept output channels only (pruned channels' outputs are zeros) and, given
 * `liveInputs`, over those input channels only: a physically smaller dense conv, with gathers
 * in typed arrays around the dense kernels (tfjs' Gather along the last axis and its
 * gradient cost more than the conv saved, 6x a layer's time).
 */
function compactConvCpu(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, stride: number, keptOut: Int32Array, liveInputs: Int32Array | undefined): tf.Tensor4D {
  const [FH, FW, C, K] = w.shape;
  const [B, H, W] = x.shape;
  const Ci = liveInputs ? liveInputs.length : C;
  const xShapeC: [number, number, number, number] = [B, H, W, Ci];
  const info = tf.backend_util.computeConv2DInfo(xShapeC, [FH, FW, Ci, keptOut.length], stride, 1, 'same', undefined, false, 'channelsLast');
  const mc = compactMaskOf(mask, keptOut, liveInputs);
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const wc = gatherKernel(wT.dataSync(), FH * FW, C, K, liveInputs, keptOut);
    for (let i = 0; i < wc.length; i++) wc[i] *= mc[i];
    const xc = liveInputs ? gatherColumns(xT.dataSync(), C, liveInputs) : (xT.dataSync() as Float32Array);
    save([xT]);
    return {
      value: tf.tensor4d(scatterColumns(conv2DForwardValues(xc, wc, info), K, keptOut), [info.batchSize, info.outHeight, info.outWidth, K]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dv = dy.dataSync();
        if (!allFinite(dv)) return denseGradients(saved[0], wT, mask, stride, dy);
        const dyc = gatherColumns(dv, K, keptOut);
        const dxc = conv2DBackpropInputValues(dyc, wc, info);
        const dx = liveInputs ? scatterColumns(dxc, C, liveInputs) : dxc;
        const dwc = conv2DBackpropFilterValues(xShapeC, xc, dyc, { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: [FH, FW, Ci, keptOut.length] });
        for (let i = 0; i < dwc.length; i++) dwc[i] *= mc[i];
        return [tf.tensor(dx, saved[0].shape, 'float32'), tf.tensor(scatterKernel(dwc, FH * FW, C, K, liveInputs, keptOut), w.shape, 'float32')];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}

function rowSparseConv(x: tf.Tensor4D, w: tf.Tensor4D, mask: tf.Tensor, p: RowSparsePattern, stride: number): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same', undefined, false, 'channelsLast');
  const g = geometryOf(info);
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const kept = gatherKept(wT.dataSync(), p);
    const xv = xT.dataSync() as Float32Array;
    // The nonzero inputs, listed once for the forward and the weight gradient.
    const nz = nonzeroLists(xv, g.C);
    save([xT]);
    const y = sparseConvForward(xv, p, kept, g, nz);
    return {
      value: tf.tensor4d(y, [g.B, g.OH, g.OW, g.K]),
      gradFunc: (dy: tf.Tensor) => {
        const dv = dy.dataSync() as Float32Array;
        if (!allFinite(dv)) return denseGradients(xT, wT, mask, stride, dy);
        const dx = sparseConvBackpropInput(dv, p, kept, g);
        const dw = scatterKept(sparseConvBackpropFilter(xv, dv, p, g, nz), p);
        return [tf.tensor(dx, x.shape, 'float32'), tf.tensor(dw, w.shape, 'float32')];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}
