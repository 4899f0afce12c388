// The cpu backend's faster Slice/SplitV (cpuSlice.ts), Add/Sub/Multiply/RealDiv
// (cpuBroadcast.ts), Relu/Step/ClipByValue (cpuUnary.ts), Conv2D/Conv2DBackpropInput
// (cpuConv2D.ts) and inference BatchNorm (cpuFusedBatchNorm.ts) against tfjs' own kernels, bit for bit (the input gradient to rounding),
// on random shapes.
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CONV_CASES } from './convCases';
import { originalCpuBinaryKernel } from '../../../src/engine/kernels/cpuBroadcast';
import { originalCpuConvKernel } from '../../../src/engine/kernels/cpuConv2D';
import { originalCpuConv2DBackpropFilter } from '../../../src/engine/kernels/cpuConv2DBackpropFilter';
import { originalCpuFusedBatchNormKernel } from '../../../src/engine/kernels/cpuFusedBatchNorm';
import { originalCpuSliceKernels } from '../../../src/engine/kernels/cpuSlice';
import { originalCpuUnaryKernel } from '../../../src/engine/kernels/cpuUnary';
import { walkConv } from '../../../src/engine/kernels/convTaps';
import { geometryOf } from '../../../src/engine/kernels/cpuConv2D';

type KernelLike = { kernelFunc: (a: unknown) => tf.TensorInfo | tf.TensorInfo[] };

function viaOriginal(k: tf.KernelConfig | undefined, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): Float32Array[] {
  expect(k, 'the fast kernel must have replaced a registered one').toBeDefined();
  const out = (k as unknown as KernelLike).kernelFunc({ inputs, backend: tf.backend(), attrs });
  return (Array.isArray(out) ? out : [out]).map((info) => {
    const t = tf.engine().makeTensorFromTensorInfo(info);
    const v = t.dataSync().slice() as Float32Array;
    t.dispose();
    return v;
  });
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });

describe('fast cpu Slice / SplitV', () => {
  it('equal tfjs’ kernels on random boxes of random tensors (float32 and int32)', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 4, maxLength: 4 }), fc.boolean(), (shape, picks, int) => {
        const begin = shape.map((d, i) => picks[i][0] % d);
        const size = shape.map((d, i) => 1 + (picks[i][1] % (d - begin[i])));
        tf.tidy(() => {
          const n = shape.reduce((a, b) => a * b, 1);
          const x = int ? tf.tensor(Int32Array.from({ length: n }, (_, i) => i * 7 - 50), shape, 'int32') : tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3), shape);
          const fast = tf.slice(x, begin, size);
          expect(fast.shape).toEqual(size);
          const [ref] = viaOriginal(originalCpuSliceKernels().slice, { x }, { begin, size });
          expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('SplitV along any axis equals tfjs’ kernel', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), fc.nat(), (shape, axisPick, cutPick) => {
        const axis = axisPick % shape.length;
        if (shape[axis] < 2) return;
        const cut = 1 + (cutPick % (shape[axis] - 1));
        tf.tidy(() => {
          const n = shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(Float32Array.from({ length: n }, (_, i) => i + 0.5), shape);
          const parts = tf.split(x, [cut, shape[axis] - cut], axis);
          const refs = viaOriginal(originalCpuSliceKernels().splitV, { x }, { numOrSizeSplits: [cut, shape[axis] - cut], axis });
          parts.forEach((p, i) => expect(Array.from(p.dataSync())).toEqual(Array.from(refs[i])));
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('fast cpu broadcasting binary ops', () => {
  it.each(['Add', 'Sub', 'Multiply', 'RealDiv'])('%s equals tfjs’ kernel on random broadcast shapes', (name) => {
    fc.assert(
      fc.property(shapeArb, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(3), (out, onesA, onesB, drop) => {
        // a and b: the output shape with some axes set to 1, b possibly of lower rank.
        const aShape = out.map((d, i) => (onesA[i] ? 1 : d));
        const bShape = out.map((d, i) => (onesB[i] ? 1 : d)).slice(Math.min(drop, out.length - 1));
        tf.tidy(() => {
          const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
          const a = tf.tensor(Float32Array.from({ length: size(aShape) }, (_, i) => Math.cos(i) * 2), aShape);
          const b = tf.tensor(Float32Array.from({ length: size(bShape) }, (_, i) => 0.5 + Math.sin(i) ** 2), bShape);
          const fast = tf.engine().runKernel(name, { a, b }) as tf.Tensor;
          const [ref] = viaOriginal(originalCpuBinaryKernel(name), { a, b }, {});
          expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
        });
      }),
      { numRuns: 150 },
    );
  });
});

/** Values with the cases that differ between formulas: NaN, ±0, ±∞, ties at the clip bounds. */
const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, -0.5, 0.5, 1e-30, -1e-30];

describe('fast cpu binary ops on equal shapes and scalars (one flat loop)', () => {
  it.each(['Add', 'Sub', 'Multiply', 'RealDiv'])('%s equals tfjs’ kernel, special values included', (name) => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 0, max: 2 }), fc.nat(), (shape, scalarSide, seed) => {
        tf.tidy(() => {
          const n = shape.reduce((x, y) => x * y, 1);
          const val = (i: number) => (i % 7 === 3 ? SPECIAL[(i + seed) % SPECIAL.length] : Math.sin(i + seed) * 3);
          const full = (k: number) => tf.tensor(Float32Array.from({ length: n }, (_, i) => val(i * k + 1)), shape);
          const a = scalarSide === 1 ? tf.scalar(val(seed & 7)) : full(1);
          const b = scalarSide === 2 ? tf.scalar(0.5 + (seed % 3)) : full(3);
          const fast = tf.engine().runKernel(name, { a, b }) as tf.Tensor;
          const [ref] = viaOriginal(originalCpuBinaryKernel(name), { a, b }, {});
          expect(fast.shape).toEqual(shape);
          expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('fast cpu Relu / Step / ClipByValue', () => {
  it.each([
    ['Relu', {}],
    ['Step', { alpha: 0 }],
    ['Step', { alpha: 0.25 }],
    ['ClipByValue', { clipValueMin: -0.5, clipValueMax: 0.5 }],
    ['ClipByValue', { clipValueMin: 0, clipValueMax: 1 }],
  ] as [string, Record<string, number>][])('%s %o equals tfjs’ kernel, NaN, ±0, ±∞ and the bounds included', (name, attrs) => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), (shape, seed) => {
        tf.tidy(() => {
          const n = shape.reduce((x, y) => x * y, 1);
          const x = tf.tensor(Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? SPECIAL[(i + seed) % SPECIAL.length] : Math.sin(i * seed) * 2)), shape);
          const fast = tf.engine().runKernel(name, { x }, attrs) as tf.Tensor;
          const [ref] = viaOriginal(originalCpuUnaryKernel(name), { x }, attrs);
          expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('other dtypes go to tfjs’ kernels (int32 Relu stays int32)', () => {
    tf.tidy(() => {
      const y = tf.relu(tf.tensor1d([-3, 0, 4], 'int32'));
      expect(y.dtype).toBe('int32');
      expect(Array.from(y.dataSync())).toEqual([0, 0, 4]);
    });
  });
});

describe('fast cpu Conv2D / Conv2DBackpropInput', () => {
  it.each(CONV_CASES)('B=%i H=%i W=%i Cin=%i Cout=%i k=%i stride=%i %s: forward bit for bit, input gradient to rounding (bit for bit against the per-tap loop)', (b, h, w, cin, cout, k, stride, pad) => {
    tf.tidy(() => {
      // Inputs with exact zeros, as after a ReLU (the fast kernel skips them).
      const x = tf.relu(tf.randomNormal([b, h, w, cin], 0, 1, 'float32', 5)) as tf.Tensor4D;
      const filter = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', 6) as tf.Tensor4D;
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', dilations: 1 };
      const y = tf.conv2d(x, filter, stride, pad);
      const [ref] = viaOriginal(originalCpuConvKernel('Conv2D'), { x, filter }, attrs);
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref));
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 7);
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
      const [refDx] = viaOriginal(originalCpuConvKernel('Conv2DBackpropInput'), { dy, filter }, { ...attrs, inputShape: x.shape });
      const scale = Math.max(...Array.from(refDx, Math.abs));
      dx.dataSync().forEach((v, i) => expect(Math.abs(v - refDx[i]) / scale).toBeLessThan(1e-6));
      // Bit for bit against the per-tap loop the blocked one replaced (runs reproduce).
      expect(Array.from(dx.dataSync())).toEqual(Array.from(perTapInputGrad(x.shape, dy, filter, stride, pad)));
    });
  });
});

describe('fast cpu convs with a NaN or ∞ operand (they skip zero inputs)', () => {
  it.each(CONV_CASES)('B=%i H=%i W=%i Cin=%i Cout=%i k=%i stride=%i %s: NaN and ∞ weights give tfjs\' outputs, NaN where 0 · NaN is', (b, h, w, cin, cout, k, stride, pad) => {
    tf.tidy(() => {
      for (const zeros of [false, true]) {
        // Post-ReLU inputs, and all-zero inputs: 0 · NaN and 0 · ∞ are NaN, not skipped sums.
        const x = (zeros ? tf.zeros([b, h, w, cin]) : tf.relu(tf.randomNormal([b, h, w, cin], 0, 1, 'float32', 5))) as tf.Tensor4D;
        const wv = tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', 6).dataSync().slice();
        wv[0] = NaN;
        wv[wv.length > 5 ? 5 : wv.length - 1] = Infinity;
        const filter = tf.tensor4d(wv, [k, k, cin, cout]);
        const attrs = { strides: stride, pad, dataFormat: 'NHWC', dilations: 1 };
        const [ref] = viaOriginal(originalCpuConvKernel('Conv2D'), { x, filter }, attrs);
        expect(ref.some(Number.isNaN), 'the case reaches a NaN at all').toBe(true);
        expect(Array.from(tf.conv2d(x, filter, stride, pad).dataSync())).toEqual(Array.from(ref));
      }
    });
  });

  it.each(CONV_CASES)('B=%i H=%i W=%i Cin=%i Cout=%i k=%i stride=%i %s: a NaN in dy reaches the weight gradient as in tfjs\' kernel', (b, h, w, cin, cout, k, stride, pad) => {
    tf.tidy(() => {
      const x = tf.zeros([b, h, w, cin]) as tf.Tensor4D;
      const filterShape: [number, number, number, number] = [k, k, cin, cout];
      const yShape = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, stride, pad).shape;
      const dv = tf.randomNormal(yShape, 0, 1, 'float32', 2).dataSync().slice();
      dv[0] = NaN;
      const dy = tf.tensor(dv, yShape) as tf.Tensor4D;
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape };
      const fast = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
      const [ref] = viaOriginal(originalCpuConv2DBackpropFilter(), { x, dy }, attrs);
      expect(ref.some(Number.isNaN)).toBe(true);
      expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
    });
  });

  it('an empty batch in a matmul keeps its shape ([0,3,4] × [1,4,2] is [0,3,2], no values)', () => {
    tf.tidy(() => {
      for (const [sa, sb, want] of [[[0, 3, 4], [1, 4, 2], [0, 3, 2]], [[1, 3, 4], [0, 4, 2], [0, 3, 2]], [[2, 0, 4], [2, 4, 2], [2, 0, 2]]] as number[][][]) {
        const y = tf.matMul(tf.ones(sa as [number, number, number]), tf.ones(sb as [number, number, number]));
        expect(y.shape).toEqual(want);
        expect(y.size).toBe(0);
      }
    });
  });
});

/**
 * The input gradient as the per-tap loop computed it: taps in (oy, ox, fy, fx) order, per
 * tap and input channel Σ_k dy·w in doubles, added to dx's float32 value.
 */
function perTapInputGrad(xShape: number[], dy: tf.Tensor, filter: tf.Tensor4D, stride: number, pad: 'same' | 'valid'): Float32Array {
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filter.shape, stride, 1, pad, undefined, false, 'channelsLast');
  const { B, H, W, C, OH, OW, K, FH, FW, top, left, sh, sw } = geometryOf(info);
  const dyv = dy.dataSync();
  const wv = filter.dataSync();
  const dx = new Float32Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let fy = 0; fy < FH; fy++)
          for (let fx = 0; fx < FW; fx++) {
            const iy = oy * sh + fy - top;
            const ix = ox * sw + fx - left;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (let c = 0; c < C; c++) {
              let acc = 0;
              for (let k = 0; k < K; k++) acc += dyv[((b * OH + oy) * OW + ox) * K + k] * wv[((fy * FW + fx) * C + c) * K + k];
              dx[((b * H + iy) * W + ix) * C + c] += acc;
            }
          }
  return dx;
}

describe('the conv forward with a channel split (CDG\'s dual conv)', () => {
  it('writes tfjs\' conv of channels [0, split) into y[…, 0:K] and of [split, C) into y[…, K:2K], bit for bit, on random shapes', () => {
    fc.assert(
      fc.property(
        fc.record({ b: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 2, max: 7 }), w: fc.integer({ min: 2, max: 7 }), c: fc.integer({ min: 2, max: 6 }), k: fc.constantFrom(2, 4, 6, 8, 12), f: fc.constantFrom(1, 3), stride: fc.constantFrom(1, 2), pad: fc.constantFrom('same', 'valid') }),
        fc.nat(),
        ({ b, h, w, c, k, f, stride, pad }, cut) => {
          if (pad === 'valid' && (h < f || w < f)) return;
          const split = 1 + (cut % (c - 1));
          tf.tidy(() => {
            const x = tf.relu(tf.randomNormal([b, h, w, c], 0, 1, 'float32', cut % 97)) as tf.Tensor4D;
            const filter = tf.randomNormal([f, f, c, k], 0, 1, 'float32', 3) as tf.Tensor4D;
            const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, stride, 1, pad, undefined, false, 'channelsLast');
            const g = geometryOf(info);
            const y = new Float32Array(g.B * g.OH * g.OW * 2 * k);
            walkConv('forward', x.dataSync(), y, filter.dataSync(), g, split, 2 * k);
            const attrs = { strides: stride, pad, dataFormat: 'NHWC', dilations: 1 };
            const [base] = viaOriginal(originalCpuConvKernel('Conv2D'), { x: tf.slice(x, [0, 0, 0, 0], [b, h, w, split]), filter: tf.slice(filter, [0, 0, 0, 0], [f, f, split, k]) }, attrs);
            const [rest] = viaOriginal(originalCpuConvKernel('Conv2D'), { x: tf.slice(x, [0, 0, 0, split], [b, h, w, c - split]), filter: tf.slice(filter, [0, 0, split, 0], [f, f, c - split, k]) }, attrs);
            for (let p = 0; p < g.B * g.OH * g.OW; p++) {
              for (let j = 0; j < k; j++) {
                expect(y[p * 2 * k + j]).toBe(base[p * k + j]);
                expect(y[p * 2 * k + k + j]).toBe(rest[p * k + j]);
              }
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('fast cpu inference BatchNorm (FusedBatchNorm)', () => {
  it('equals tfjs’ kernel bit for bit on random shapes, with and without scale and offset', () => {
    fc.assert(
      fc.property(shapeArb, fc.boolean(), fc.boolean(), fc.nat(1000), fc.constantFrom(1e-5, 1e-3, 0.1), (shape, withScale, withOffset, seed, eps) => {
        tf.tidy(() => {
          const C = shape[shape.length - 1];
          const n = shape.reduce((p, d) => p * d, 1);
          const vec = (k: number, f: (i: number) => number) => tf.tensor1d(Float32Array.from({ length: C }, (_, i) => f(i * k + seed)));
          const x = tf.tensor(Float32Array.from({ length: n }, (_, i) => (i % 5 === 2 ? SPECIAL[(i + seed) % SPECIAL.length] : Math.sin(i + seed) * 4)), shape);
          const inputs: Record<string, tf.Tensor> = { x, mean: vec(1, Math.cos), variance: vec(2, (v) => Math.sin(v) ** 2 * 3) };
          if (withScale) inputs.scale = vec(3, (v) => 0.5 + Math.cos(v) ** 2);
          if (withOffset) inputs.offset = vec(5, Math.sin);
          const fast = tf.engine().runKernel('FusedBatchNorm', inputs, { varianceEpsilon: eps }) as tf.Tensor;
          const [ref] = viaOriginal(originalCpuFusedBatchNormKernel(), inputs, { varianceEpsilon: eps });
          expect(fast.shape).toEqual(shape);
          expect(Array.from(fast.dataSync())).toEqual(Array.from(ref));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('parameters that are not one per channel go to tfjs’ kernel (a scalar mean broadcasts)', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
      const y = tf.batchNorm(x, tf.scalar(2), tf.scalar(4), undefined, undefined, 0) as tf.Tensor;
      // (x − 2) / √4, by hand.
      expect(Array.from(y.dataSync())).toEqual([-0.5, 0, 0.5, 1, 1.5, 2]);
    });
  });
});
