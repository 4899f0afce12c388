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
import type { CpuBackendLike } from './cpuBackendLike';

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

/** out = a ∘ b with numpy broadcasting; `outShape` is the broadcast shape. */
export function broadcastBinary(op: Op, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], outShape: readonly number[]): Float32Array {
  const r = outShape.length;
  const size = outShape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(size);
  if (size === 0) return out;
  // Equal shapes or a scalar operand: one flat loop (a size equal to the output's means
  // no axis is broadcast, so the layouts agree).
  if ((a.length === size || a.length === 1) && (b.length === size || b.length === 1)) {
    innerLoop(op, a, b, out, 0, 0, 0, size, a.length === 1 ? 0 : 1, b.length === 1 ? 0 : 1);
    return out;
  }
  const sa = alignedStrides(aShape, outShape);
  const sb = alignedStrides(bShape, outShape);
  const n = r === 0 ? 1 : outShape[r - 1];
  const la = r === 0 ? 0 : sa[r - 1];
  const lb = r === 0 ? 0 : sb[r - 1];
  const idx = new Array<number>(Math.max(0, r - 1)).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < size; o += n) {
    innerLoop(op, a, b, out, o, ia, ib, n, la, lb);
    // Odometer over the outer axes.
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < outShape[d]) break;
      ia -= idx[d] * sa[d];
      ib -= idx[d] * sb[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** out[o + j] = a[pa] ∘ b[pb] for j < n, pa and pb stepping by la and lb: one tight loop per op. */
function innerLoop(op: Op, a: Float32Array, b: Float32Array, out: Float32Array, o: number, pa: number, pb: number, n: number, la: number, lb: number): void {
  switch (op) {
    case 'add':
      for (let j = 0; j < n; j++, pa += la, pb += lb) out[o + j] = a[pa] + b[pb];
      break;
    case 'sub':
      for (let j = 0; j < n; j++, pa += la, pb += lb) out[o + j] = a[pa] - b[pb];
      break;
    case 'mul':
      for (let j = 0; j < n; j++, pa += la, pb += lb) out[o + j] = a[pa] * b[pb];
      break;
    case 'div':
      for (let j = 0; j < n; j++, pa += la, pb += lb) out[o + j] = a[pa] / b[pb];
      break;
  }
}

const KERNELS: Record<string, Op> = { Add: 'add', Sub: 'sub', Multiply: 'mul', RealDiv: 'div' };
const originals = new Map<string, tf.KernelConfig>();

function makeKernel(name: string, op: Op): tf.KernelFunc {
  return ((args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: CpuBackendLike }) => {
    const { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      return (originals.get(name)!.kernelFunc as unknown as (x: unknown) => tf.TensorInfo)(args);
    }
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const values = broadcastBinary(op, args.backend.data.get(a.dataId).values, a.shape, args.backend.data.get(b.dataId).values, b.shape, outShape);
    return args.backend.makeTensorInfo(outShape, 'float32', values);
  }) as unknown as tf.KernelFunc;
}

let registered = false;

/** Replace the cpu backend's Add, Sub, Multiply and RealDiv by the broadcasting-aware ones (idempotent). */
export function registerFastCpuBroadcast(): void {
  if (registered) return;
  registered = true;
  for (const [name, op] of Object.entries(KERNELS)) {
    const original = tf.getKernel(name, 'cpu');
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, 'cpu');
    tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: makeKernel(name, op) });
  }
}

/** tfjs' own cpu kernel of `name` (Add, Sub, Multiply, RealDiv), for parity tests. */
export function originalCpuBinaryKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name);
}
