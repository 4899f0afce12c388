// Float32 Add, Sub, Multiply and RealDiv for tfjs' cpu backend. tfjs' own kernels take
// two integer remainders and a closure call per element even for equal shapes (~15–20 ns
// an element: a [32, 16, 16, 8] product took 1.4 ms, ~10 % of a default cpu step across
// the step's products and sums), and any other broadcast (a [B, H, W, 1] gate times
// [B, H, W, C] features, every reduction's gradient, which multiplies dy by ones of the
// input's shape) goes through indexToLoc/locToIndex with arrays allocated per element.
// This runs equal shapes and scalars as one flat loop and walks other broadcasts in
// row-major order with per-axis strides (0 on broadcast axes). Each element is the same
// float32 result (computed in double, stored in a Float32Array, as tfjs does); other
// dtypes go to tfjs' kernels.
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';
import { take } from './cpuArrayPool';

type Op = 'add' | 'sub' | 'mul' | 'div';

/** Strides of `shape` aligned to the output's axes, 0 where the axis is broadcast. */
function alignedStrides(shape: readonly number[], out: readonly number[]): number[] {
  const r = out.length;
  const s = new Array<number>(r).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const od = d + r - shape.length;
    s[od] = shape[d] === 1 && out[od] !== 1 ? 0 : stride;
    stride *= shape[d];
  }
  return s;
}

/**
 * The output's axes with size-1 axes dropped and each axis merged into the one before it
 * where both operands step over the pair as over one axis (contiguous, or both broadcast):
 * the same elements in the same order, in fewer and longer rows. [16, 16, 16, 3] times
 * [16, 1, 1, 1] becomes [16, 768] times [16, 1].
 */
function coalesce(outShape: readonly number[], sa: number[], sb: number[]): { shape: number[]; sa: number[]; sb: number[] } {
  const shape: number[] = [];
  const ra: number[] = [];
  const rb: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    const n = outShape[d];
    if (n === 1) continue;
    const p = shape.length - 1;
    if (p >= 0 && ra[p] === sa[d] * n && rb[p] === sb[d] * n) {
      shape[p] *= n;
      ra[p] = sa[d];
      rb[p] = sb[d];
    } else {
      shape.push(n);
      ra.push(sa[d]);
      rb.push(sb[d]);
    }
  }
  return { shape, sa: ra, sb: rb };
}

/** out = a ∘ b with numpy broadcasting; `outShape` is the broadcast shape. */
export function broadcastBinary(op: Op, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], outShape: readonly number[]): Float32Array {
  const size = outShape.reduce((x, y) => x * y, 1);
  const out = take(size);
  if (size === 0) return out;
  // Equal shapes or a scalar operand: one flat loop (a size equal to the output's means
  // no axis is broadcast, so the layouts agree).
  if ((a.length === size || a.length === 1) && (b.length === size || b.length === 1)) {
    innerLoop(op, a, b, out, 0, 1, 0, 0, size, a.length === 1 ? 0 : 1, b.length === 1 ? 0 : 1);
    return out;
  }
  const { shape, sa, sb } = coalesce(outShape, alignedStrides(aShape, outShape), alignedStrides(bShape, outShape));
  const r = shape.length;
  const n = shape[r - 1];
  // Two axes with short rows ([B·H·W, C] times [C], a [B·H·W, 1] gate times [B·H·W, C]):
  // walk the columns instead, one long strided loop per column, not a call per short row.
  if (r === 2 && n < 16 && shape[0] > n) {
    for (let j = 0; j < n; j++) innerLoop(op, a, b, out, j, n, j * sa[1], j * sb[1], shape[0], sa[0], sb[0]);
    return out;
  }
  const la = sa[r - 1];
  const lb = sb[r - 1];
  const idx = new Array<number>(r - 1).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < size; o += n) {
    innerLoop(op, a, b, out, o, 1, ia, ib, n, la, lb);
    // Odometer over the outer axes.
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < shape[d]) break;
      ia -= idx[d] * sa[d];
      ib -= idx[d] * sb[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** out[o + j·lo] = a[pa] ∘ b[pb] for j < n, pa and pb stepping by la and lb: one tight loop per op. */
function innerLoop(op: Op, a: Float32Array, b: Float32Array, out: Float32Array, o: number, lo: number, pa: number, pb: number, n: number, la: number, lb: number): void {
  const end = o + n * lo;
  switch (op) {
    case 'add':
      for (; o < end; o += lo, pa += la, pb += lb) out[o] = a[pa] + b[pb];
      break;
    case 'sub':
      for (; o < end; o += lo, pa += la, pb += lb) out[o] = a[pa] - b[pb];
      break;
    case 'mul':
      for (; o < end; o += lo, pa += la, pb += lb) out[o] = a[pa] * b[pb];
      break;
    case 'div':
      for (; o < end; o += lo, pa += la, pb += lb) out[o] = a[pa] / b[pb];
      break;
  }
}

const KERNELS: Record<string, Op> = { Add: 'add', Sub: 'sub', Multiply: 'mul', RealDiv: 'div' };
function makeKernel(name: string, op: Op): (args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: CpuBackendLike }) => tf.TensorInfo {
  return (args) => {
    const { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      return callOriginalCpuKernel(name, args);
    }
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const values = broadcastBinary(op, args.backend.data.get(a.dataId).values, a.shape, args.backend.data.get(b.dataId).values, b.shape, outShape);
    return args.backend.makeTensorInfo(outShape, 'float32', values);
  };
}

/** Replace the cpu backend's Add, Sub, Multiply and RealDiv by the broadcasting-aware ones (idempotent). */
export function registerFastCpuBroadcast(): void {
  for (const [name, op] of Object.entries(KERNELS)) replaceCpuKernel(name, makeKernel(name, op));
}

/** tfjs' own cpu kernel of `name` (Add, Sub, Multiply, RealDiv), for parity tests. */
export function originalCpuBinaryKernel(name: string): tf.KernelConfig | undefined {
  return originalCpuKernel(name);
}
