// The cpu backend's BatchMatMul (cpuMatMul.ts) and Sum/Mean (cpuReduce.ts) against tfjs'
// own kernels on random shapes, and against values worked out by hand. They sum in tfjs'
// order (the matmul in blocks of 48, rounded after each) and agree bit for bit: a run gives
// what it gave with tfjs' kernels.
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { originalCpuMatMulKernel } from '../../../src/engine/kernels/cpuMatMul';
import { originalCpuReduceKernel } from '../../../src/engine/kernels/cpuReduce';

type KernelLike = { kernelFunc: (a: unknown) => tf.TensorInfo };

function viaOriginal(k: tf.KernelConfig | undefined, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): { shape: number[]; values: Float32Array } {
  expect(k, 'the fast kernel must have replaced a registered one').toBeDefined();
  const t = tf.engine().makeTensorFromTensorInfo((k as unknown as KernelLike).kernelFunc({ inputs, backend: tf.backend(), attrs }));
  const r = { shape: t.shape, values: t.dataSync().slice() as Float32Array };
  t.dispose();
  return r;
}

const values = (n: number, seed: number, zeros: boolean) =>
  Float32Array.from({ length: n }, (_, i) => (zeros && (i * 7 + seed) % 3 === 0 ? 0 : Math.sin(i * 1.3 + seed) * 2));

describe('fast cpu BatchMatMul', () => {
  it('multiplies a 2×2 by a 2×2 as by hand, and each transpose', () => {
    tf.tidy(() => {
      const a = tf.tensor2d([[1, 2], [3, 4]]);
      const b = tf.tensor2d([[5, 6], [7, 8]]);
      expect(tf.matMul(a, b).arraySync()).toEqual([[19, 22], [43, 50]]);
      expect(tf.matMul(a, b, true, false).arraySync()).toEqual([[26, 30], [38, 44]]); // aᵀ·b
      expect(tf.matMul(a, b, false, true).arraySync()).toEqual([[17, 23], [39, 53]]); // a·bᵀ
      expect(tf.matMul(a, b, true, true).arraySync()).toEqual([[23, 31], [34, 46]]); // tfjs' kernel
    });
  });

  it('equals tfjs’ kernel bit for bit on random shapes, transposes and batches (one side broadcast or not)', () => {
    fc.assert(
      fc.property(
        fc.record({
          M: fc.integer({ min: 1, max: 9 }), N: fc.integer({ min: 1, max: 9 }), K: fc.integer({ min: 1, max: 130 }),
          batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
          ta: fc.boolean(), tb: fc.boolean(), broadcast: fc.integer({ min: 0, max: 2 }), seed: fc.nat(100), zeros: fc.boolean(),
        }),
        ({ M, N, K, batch, ta, tb, broadcast, seed, zeros }) => {
          tf.tidy(() => {
            const ones = batch.map(() => 1);
            const aBatch = broadcast === 1 ? ones : batch;
            const bBatch = broadcast === 2 ? ones : batch;
            const aShape = [...aBatch, ...(ta ? [K, M] : [M, K])];
            const bShape = [...bBatch, ...(tb ? [N, K] : [K, N])];
            const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
            const a = tf.tensor(values(size(aShape), seed, zeros), aShape);
            const b = tf.tensor(values(size(bShape), seed + 1, false), bShape);
            const fast = tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: ta, transposeB: tb }) as tf.Tensor;
            const ref = viaOriginal(originalCpuMatMulKernel(), { a, b }, { transposeA: ta, transposeB: tb });
            expect(fast.shape).toEqual(ref.shape);
            expect(Array.from(fast.dataSync())).toEqual(Array.from(ref.values));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('its gradients (transposed products) match tf’s own formulas through tfjs’ kernel', () => {
    tf.tidy(() => {
      const a = tf.tensor(values(6 * 5, 3, true), [6, 5]);
      const b = tf.tensor(values(5 * 4, 4, false), [5, 4]);
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum())([a, b]);
      const c = tf.matMul(a, b).mul(2);
      const refDa = viaOriginal(originalCpuMatMulKernel(), { a: c, b }, { transposeA: false, transposeB: true });
      const refDb = viaOriginal(originalCpuMatMulKernel(), { a, b: c }, { transposeA: true, transposeB: false });
      da.dataSync().forEach((v, i) => expect(v).toBeCloseTo(refDa.values[i], 4));
      db.dataSync().forEach((v, i) => expect(v).toBeCloseTo(refDb.values[i], 4));
    });
  });
});

describe('fast cpu Sum / Mean', () => {
  it('averages a [1, 2, 2, 2] over H and W as by hand (the global average pool)', () => {
    tf.tidy(() => {
      const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]);
      expect(tf.mean(x, [1, 2]).arraySync()).toEqual([[2.5, 25]]);
      expect(tf.sum(x, [1, 2], true).arraySync()).toEqual([[[[10, 100]]]]);
      expect(tf.sum(x).arraySync()).toBe(110);
    });
  });

  // Found by a kernels hunt: axes given out of order were summed in memory order, where tfjs
  // puts the first given innermost; random values never cancelled enough to show it.
  it('axes given out of order sum as tfjs does: [2, 1] with axis 1 innermost (1e30 + (−1e30) + 1 + 0 = 1)', () => {
    tf.tidy(() => {
      const x = tf.tensor3d([[[1e30, 1], [-1e30, 0]]]);
      expect(tf.sum(x, [2, 1]).arraySync()).toEqual([1]);
      expect(tf.mean(x, [2, 1]).arraySync()).toEqual([0.25]);
      expect(tf.sum(x, [-1, 1]).arraySync()).toEqual([1]);
      // In order, the last axis innermost: 1e30 + 1 rounds to 1e30, then − 1e30: 0 (tfjs too).
      expect(tf.sum(x, [1, 2]).arraySync()).toEqual([0]);
    });
  });

  it.each(['Sum', 'Mean'] as const)('%s equals tfjs’ kernel bit for bit over random axes (one block or not), keepDims or not', (name) => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: -4, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.boolean(), fc.nat(50),
        (shape, axesPick, keepDims, seed) => {
          const rank = shape.length;
          // Distinct axes, some written as negative ones.
          const distinct = [...new Set(axesPick.map((a) => ((a % rank) + rank) % rank))];
          const axis = distinct.map((a, i) => (axesPick[i] < 0 ? a - rank : a));
          tf.tidy(() => {
            const x = tf.tensor(values(shape.reduce((p, d) => p * d, 1), seed, false), shape);
            const fast = tf.engine().runKernel(name, { x }, { axis, keepDims }) as tf.Tensor;
            const ref = viaOriginal(originalCpuReduceKernel(name), { x }, { axis, keepDims });
            expect(fast.shape).toEqual(ref.shape);
            expect(Array.from(fast.dataSync())).toEqual(Array.from(ref.values));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('other dtypes go to tfjs’ kernels (an int32 sum stays int32)', () => {
    tf.tidy(() => {
      const s = tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0);
      expect(s.dtype).toBe('int32');
      expect(Array.from(s.dataSync())).toEqual([4, 6]);
    });
  });
});
