// conv(x, W ⊙ M) on WebGPU over compressed weights: the kept weights of a masked kernel
// [FH, FW, C, K] as values plus indices, in rows of (tap, output channel) listing the kept
// input channels group by group — for an N:M mask, N indices of every group of M input
// channels (all M of a group still dense in the ramp, the kept channels of a tail group
// when C % M ≠ 0), so a layer mixing N:M and dense groups is one row format with a
// per-group count. Unstructured and channel masks are rows of any length (a pruned output
// channel's rows are empty). Shaders in webgpuSparseConv.wgsl.ts; per call and step:
// forward = gather the values + the sparse conv; backward = dx over the transposed rows
// (tap, input channel), dW only at kept weights, then scattered into the kernel's shape.
// The index tensor is built on the host from the mask's host copy (nn/maskValues.ts: no
// readback), once per mask tensor, and uploaded with each call (a few KB at the tiny size).
// No runtime import of the webgpu backend: the engine loads it lazily (backend.ts).
import * as tf from '@tensorflow/tfjs';
import { flatProgram as flat, runProgram as run } from './webgpuProgram';
import {
  forwardWGSL, gatherWGSL, inputGradWGSL, scatterWGSL, sparseConvKey, valueGradWGSL,
  type SparseConvShape, type SparseOffsets,
} from './webgpuSparseConv.wgsl';

/** Where a mask keeps weights, in the index layout the shaders read (see the .wgsl.ts header). */
export interface GpuSparsePattern {
  shape: [number, number, number, number];
  nnz: number;
  density: number;
  /** Length of every forward row when all are equal (pure N:M, C % M = 0), else -1. */
  rowLen: number;
  /** Output channels with at least one kept weight, ascending (the rest are pruned whole). */
  keptOutputs: Int32Array;
  offsets: SparseOffsets;
  /** The packed int32 index data. */
  index: Int32Array;
}

/** The pattern of a 0/1 mask laid out as a conv kernel [FH, FW, C, K] (any nonzero keeps). */
export function gpuSparsePattern(mask: ArrayLike<number>, shape: readonly number[]): GpuSparsePattern {
  const [FH, FW, C, K] = shape;
  const T = FH * FW;
  if (mask.length !== T * C * K) throw new Error(`gpuSparsePattern: mask has ${mask.length} entries, shape ${shape.join('×')} needs ${T * C * K}`);
  let nnz = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) nnz++;
  // Sections sized for nnz rounded up to a power of two (at most the full kernel), so the
  // offsets (constants of the shaders) change only when nnz crosses one: with nnz itself in
  // them, every mask update of a ramp compiled five new pipelines a layer, which tfjs keeps
  // for good. A ramp from dense to 0.2 crosses ~3; the upload stays under twice the entries.
  const most = Math.min(T * C * K, 2 ** Math.ceil(Math.log2(Math.max(1, nnz))));
  const fstart = 0;
  const fchan = fstart + T * K + 1;
  const fpos = fchan + most;
  const bstart = fpos + most;
  const bout = bstart + T * C + 1;
  const bslot = bout + most;
  const index = new Int32Array(bslot + most);
  // Forward rows (t, k), channels ascending; remember each (t, c, k)'s slot for the transpose.
  const slot = new Int32Array(mask.length).fill(-1);
  let j = 0;
  let rowLen = -2;
  const keptOut = new Uint8Array(K);
  for (let t = 0; t < T; t++)
    for (let k = 0; k < K; k++) {
      const r = t * K + k;
      index[fstart + r] = j;
      const j0 = j;
      for (let c = 0; c < C; c++) {
        const p = (t * C + c) * K + k;
        if (mask[p] === 0) continue;
        index[fchan + j] = c;
        index[fpos + j] = p;
        slot[p] = j;
        keptOut[k] = 1;
        j++;
      }
      const len = j - j0;
      rowLen = rowLen === -2 ? len : rowLen === len ? rowLen : -1;
    }
  index[fstart + T * K] = j;
  // Transposed rows (t, c), outputs ascending.
  let e = 0;
  for (let t = 0; t < T; t++)
    for (let c = 0; c < C; c++) {
      index[bstart + t * C + c] = e;
      for (let k = 0; k < K; k++) {
        const s = slot[(t * C + c) * K + k];
        if (s < 0) continue;
        index[bout + e] = k;
        index[bslot + e] = s;
        e++;
      }
    }
  index[bstart + T * C] = e;
  return {
    shape: [FH, FW, C, K],
    nnz,
    density: mask.length === 0 ? 0 : nnz / mask.length,
    rowLen: rowLen < 0 ? -1 : rowLen,
    keptOutputs: Int32Array.from({ length: K }, (_, k) => k).filter((k) => keptOut[k] === 1),
    offsets: { fstart, fchan, fpos, bstart, bout, bslot },
    index,
  };
}

type GradFn = Parameters<typeof tf.customGrad>[0];

/**
 * y = conv(x, W ⊙ M, stride, 'same') with x [B, H, W, C], w [FH, FW, C, K] and M given by
 * its pattern; gradients dx and dW (dW zero off the mask). WebGPU backend only.
 */
export function webgpuSparseConv(x: tf.Tensor4D, w: tf.Tensor4D, p: GpuSparsePattern, stride: number): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same', undefined, false, 'channelsLast');
  const d: SparseConvShape = {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, stride, nnz: p.nnz, rowLen: p.rowLen,
  };
  if (p.shape.some((s, i) => s !== w.shape[i])) throw new Error(`webgpuSparseConv: pattern ${p.shape.join('×')} does not fit kernel ${w.shape.join('×')}`);
  const o = p.offsets;
  // The shape fixes every offset but the sections' size, which fpos tells.
  const key = `${sparseConvKey(d)}_${o.fpos}`;
  const yShape = [d.B, d.OH, d.OW, d.K];
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    if (p.nnz === 0) {
      // Nothing kept: y = 0, dx = 0, dW = 0 (no program runs).
      save([xT]);
      return { value: tf.zeros(yShape), gradFunc: (_dy: tf.Tensor, s: tf.Tensor[]) => [tf.zerosLike(s[0]), tf.zeros(w.shape)] };
    }
    const ix = tf.tensor1d(p.index, 'int32');
    const v = run(flat(`spGather_${key}`, ['w', 'ix'], [p.nnz], gatherWGSL(d, o)), [wT, ix]);
    save([xT, v, ix]);
    return {
      value: run(flat(`spConv_${key}`, ['x', 'v', 'ix'], yShape, forwardWGSL(d, o)), [xT, v, ix]),
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
        const [xs, vs, ixs] = s;
        const dv = run(flat(`spConvDv_${key}`, ['x', 'dy', 'ix'], [p.nnz], valueGradWGSL(d, o)), [xs, dy, ixs]);
        const dw = run(flat(`spConvDw_${key}`, ['dv', 'ix'], [...w.shape], scatterWGSL(d, o)), [dv, ixs]);
        dv.dispose();
        return [run(flat(`spConvDx_${key}`, ['dy', 'v', 'ix'], xs.shape, inputGradWGSL(d, o)), [dy, vs, ixs]), dw];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}
