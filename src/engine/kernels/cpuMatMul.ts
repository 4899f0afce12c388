// BatchMatMul for tfjs' cpu backend (float32, no transpose of both operands). tfjs' kernel
// computes every operand's index from three strides per multiply-add, in blocks of 48
// (~3.6 ns a multiply-add here: the projector's, predictor's and losses' small matmuls were
// ~5 ms of a default BYOL step, and the kNN similarity is one of them). These loops walk
// rows in memory order and sum as tfjs does (blocks of 48 in doubles, rounded after each):
// the same values bit for bit, so a run gives what it gave with tfjs' kernel.
// Both operands transposed, other dtypes and unequal batches other than 1 go to tfjs.
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';
import { take } from './cpuArrayPool';

/** One batch entry's C = op(A)·op(B): C is M×N, the shared dimension K. */
export interface MatMulGeometry { M: number; N: number; K: number; transposeA: boolean; transposeB: boolean }

/** tfjs' cpu backend sums k in blocks of this many in doubles and rounds to float32 after each. */
export const MATMUL_BLOCK = 48;

/**
 * out[o + m·N + n] = Σ_k A(m, k)·B(k, n), A at `ao` ([M, K], or [K, M] when transposeA),
 * B at `bo` ([K, N], or [N, K] when transposeB). Not both transposed. The sum runs as tfjs'
 * does, bit for bit: k ascending in blocks of MATMUL_BLOCK, each block in doubles, added to
 * the float32 result. `acc` is scratch of at least N doubles (one row of C).
 */
export function matMulInto(a: Float32Array, ao: number, b: Float32Array, bo: number, out: Float32Array, o: number, g: MatMulGeometry, acc: Float64Array): void {
  const { M, N, K } = g;
  if (g.transposeB) {
    // A [M, K] · Bᵀ with B [N, K]: dot products of contiguous rows, two rows of A by four
    // of B at a time (each loaded value serves 2 or 4 products; the kNN similarity of 1200
    // images by 1000 on raw pixels is one such product).
    let m = 0;
    const n4 = N - (N % 4);
    for (; m + 2 <= M; m += 2) {
      const ar0 = ao + m * K, ar1 = ar0 + K;
      const or0 = o + m * N, or1 = or0 + N;
      for (let n = 0; n < n4; n += 4) {
        const b0 = bo + n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
        let r00 = 0, r01 = 0, r02 = 0, r03 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0;
        for (let k0 = 0; k0 < K; k0 += MATMUL_BLOCK) {
          const k1 = Math.min(K, k0 + MATMUL_BLOCK);
          let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
          for (let k = k0; k < k1; k++) {
            const a0 = a[ar0 + k], a1 = a[ar1 + k];
            const w0 = b[b0 + k], w1 = b[b1 + k], w2 = b[b2 + k], w3 = b[b3 + k];
            s00 += a0 * w0;
            s01 += a0 * w1;
            s02 += a0 * w2;
            s03 += a0 * w3;
            s10 += a1 * w0;
            s11 += a1 * w1;
            s12 += a1 * w2;
            s13 += a1 * w3;
          }
          r00 = Math.fround(r00 + s00);
          r01 = Math.fround(r01 + s01);
          r02 = Math.fround(r02 + s02);
          r03 = Math.fround(r03 + s03);
          r10 = Math.fround(r10 + s10);
          r11 = Math.fround(r11 + s11);
          r12 = Math.fround(r12 + s12);
          r13 = Math.fround(r13 + s13);
        }
        out[or0 + n] = r00;
        out[or0 + n + 1] = r01;
        out[or0 + n + 2] = r02;
        out[or0 + n + 3] = r03;
        out[or1 + n] = r10;
        out[or1 + n + 1] = r11;
        out[or1 + n + 2] = r12;
        out[or1 + n + 3] = r13;
      }
      rowDotsBt(a, ar0, b, bo, out, or0, K, n4, N);
      rowDotsBt(a, ar1, b, bo, out, or1, K, n4, N);
    }
    for (; m < M; m++) rowDotsBt(a, ao + m * K, b, bo, out, o + m * N, K, 0, N);
    return;
  }
  // B [K, N] row-major: each C row accumulates a·B-row (axpy) in doubles, flushed into the
  // float32 row at every block of k. A's element (m, k) is at m·K + k, or k·M + m when
  // transposed (Aᵀ·B: the weight gradient Xᵀ·dY).
  const sm = g.transposeA ? 1 : K;
  const sk = g.transposeA ? M : 1;
  for (let m = 0; m < M; m++) {
    const or = o + m * N;
    for (let k0 = 0; k0 < K; k0 += MATMUL_BLOCK) {
      const k1 = Math.min(K, k0 + MATMUL_BLOCK);
      acc.fill(0, 0, N);
      for (let k = k0; k < k1; k++) {
        const av = a[ao + m * sm + k * sk];
        const br = bo + k * N;
        for (let n = 0; n < N; n++) acc[n] += av * b[br + n];
      }
      for (let n = 0; n < N; n++) out[or + n] = Math.fround(out[or + n] + acc[n]);
    }
  }
}

/** out[or + n] = A-row · B-row n for n in [n0, N) (B [N, K]), four columns at a time, then one. */
function rowDotsBt(a: Float32Array, ar: number, b: Float32Array, bo: number, out: Float32Array, or: number, K: number, n0: number, N: number): void {
  let n = n0;
  for (; n + 4 <= N; n += 4) {
    const b0 = bo + n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
    let r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    for (let k0 = 0; k0 < K; k0 += MATMUL_BLOCK) {
      const k1 = Math.min(K, k0 + MATMUL_BLOCK);
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = k0; k < k1; k++) {
        const av = a[ar + k];
        s0 += av * b[b0 + k];
        s1 += av * b[b1 + k];
        s2 += av * b[b2 + k];
        s3 += av * b[b3 + k];
      }
      r0 = Math.fround(r0 + s0);
      r1 = Math.fround(r1 + s1);
      r2 = Math.fround(r2 + s2);
      r3 = Math.fround(r3 + s3);
    }
    out[or + n] = r0;
    out[or + n + 1] = r1;
    out[or + n + 2] = r2;
    out[or + n + 3] = r3;
  }
  for (; n < N; n++) {
    const br = bo + n * K;
    let r = 0;
    for (let k0 = 0; k0 < K; k0 += MATMUL_BLOCK) {
      const k1 = Math.min(K, k0 + MATMUL_BLOCK);
      let s = 0;
      for (let k = k0; k < k1; k++) s += a[ar + k] * b[br + k];
      r = Math.fround(r + s);
    }
    out[or + n] = r;
  }
}

type Args = { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; backend: CpuBackendLike; attrs: { transposeA: boolean; transposeB: boolean } };

const callOriginal = (args: Args) => callOriginalCpuKernel('BatchMatMul', args);

function batchMatMulKernel(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (transposeA && transposeB) || ra < 2 || rb < 2 || ra !== rb) return callOriginal(args);
  // An empty operand: tfjs' kernel gives the empty result its shape ([0,3,4] × [1,4,2] is [0,3,2]; here it was [1,3,2] of NaN).
  if (a.shape.includes(0) || b.shape.includes(0)) return callOriginal(args);
  const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const sameOuter = a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  // Batches equal dimension by dimension, or one side a single matrix; tfjs broadcasts the rest.
  if (!(sameOuter || batchA === 1 || batchB === 1)) return callOriginal(args);
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== kb) return callOriginal(args); // tfjs' kernel says what does not match
  const outer = (batchA >= batchB ? a : b).shape.slice(0, -2);
  const batch = Math.max(batchA, batchB);
  const av = args.backend.data.get(a.dataId).values;
  const bv = args.backend.data.get(b.dataId).values;
  const out = take(batch * M * N);
  const acc = new Float64Array(Math.max(1, N));
  const g = { M, N, K, transposeA, transposeB };
  for (let i = 0; i < batch; i++) {
    matMulInto(av, batchA === 1 ? 0 : i * M * K, bv, batchB === 1 ? 0 : i * K * N, out, i * M * N, g, acc);
  }
  return args.backend.makeTensorInfo([...outer, M, N], 'float32', out);
}

/** Replace the cpu backend's BatchMatMul (idempotent). */
export function registerFastCpuMatMul(): void {
  replaceCpuKernel('BatchMatMul', batchMatMulKernel);
}

/** tfjs' own cpu BatchMatMul, for parity tests and A/B timing. */
export function originalCpuMatMulKernel(): tf.KernelConfig | undefined {
  return originalCpuKernel('BatchMatMul');
}
