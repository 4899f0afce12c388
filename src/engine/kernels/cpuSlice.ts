// Faster Slice and SplitV for tfjs' cpu backend. tfjs' own kernels copy a non-contiguous
// slice one element at a time through TensorBuffer.indexToLoc/get (an array allocated per
// element): splitting the input channels of an NHWC activation for CDG's base and
// conditional paths took ~40% of a tiny cdg step on the cpu. These copy whole runs of the
// innermost contiguous dimensions with TypedArray.set. Same results for every numeric
// dtype; strings and complex numbers go to tfjs' kernels.
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';

type Values = Float32Array | Int32Array | Uint8Array;

function arrayFor(dtype: tf.DataType, n: number): Values {
  return dtype === 'int32' ? new Int32Array(n) : dtype === 'bool' ? new Uint8Array(n) : new Float32Array(n);
}

/**
 * Copy the box [begin, begin + size) of a row-major tensor of `shape`. Trailing axes taken
 * whole are merged with the last partial one into a contiguous run.
 */
export function sliceValues(vals: Values, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Values): Values {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = vals[0];
    return out;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  // Axis `last` is the innermost axis not taken whole; everything after it is contiguous.
  let last = rank - 1;
  while (last > 0 && begin[last] === 0 && size[last] === shape[last]) last--;
  const run = size[last] * strides[last];
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return out;
  const idx = new Array<number>(last).fill(0);
  let base = begin[last] * strides[last];
  for (let a = 0; a < last; a++) base += begin[a] * strides[a];
  let off = base;
  // Short runs (a few channels of an NHWC row): a plain loop beats subarray + set.
  const short = run < 32;
  for (let o = 0; o < total; o += run) {
    if (short) for (let j = 0; j < run; j++) out[o + j] = vals[off + j];
    else out.set(vals.subarray(off, off + run), o);
    // Odometer over the outer axes [0, last).
    let a = last - 1;
    for (; a >= 0; a--) {
      idx[a]++;
      off += strides[a];
      if (idx[a] < size[a]) break;
      off -= idx[a] * strides[a];
      idx[a] = 0;
    }
    if (a < 0) break;
  }
  return out;
}

function canHandle(dtype: tf.DataType): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

function sliceKernel(args: { inputs: { x: tf.TensorInfo }; backend: CpuBackendLike<Values>; attrs: { begin: number | number[]; size: number | number[] } }): tf.TensorInfo {
  const { x } = args.inputs;
  if (!canHandle(x.dtype)) return callOriginalCpuKernel('Slice', args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs.begin, args.attrs.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const vals = args.backend.data.get(x.dataId).values;
  const out = sliceValues(vals, x.shape, begin, size, arrayFor(x.dtype, size.reduce((a, b) => a * b, 1)));
  return args.backend.makeTensorInfo(size, x.dtype, out);
}

function splitVKernel(args: { inputs: { x: tf.TensorInfo }; backend: CpuBackendLike<Values>; attrs: { numOrSizeSplits: number | number[]; axis: number | number[] } }): tf.TensorInfo[] {
  const { x } = args.inputs;
  if (!canHandle(x.dtype)) return callOriginalCpuKernel<typeof args, tf.TensorInfo[]>('SplitV', args);
  const axis = tf.util.parseAxisParam(args.attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs.numOrSizeSplits, axis);
  const vals = args.backend.data.get(x.dataId).values;
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[axis] = s;
    const out = sliceValues(vals, x.shape, begin, size, arrayFor(x.dtype, size.reduce((a, b) => a * b, 1)));
    begin[axis] += s;
    return args.backend.makeTensorInfo(size, x.dtype, out);
  });
}

/** Replace the cpu backend's Slice and SplitV with the ones above (idempotent). */
export function registerFastCpuSlice(): void {
  replaceCpuKernel('Slice', sliceKernel);
  replaceCpuKernel('SplitV', splitVKernel);
}

/** tfjs' own cpu Slice and SplitV, for parity tests. */
export function originalCpuSliceKernels(): { slice?: tf.KernelConfig; splitV?: tf.KernelConfig } {
  return { slice: originalCpuKernel('Slice'), splitV: originalCpuKernel('SplitV') };
}
