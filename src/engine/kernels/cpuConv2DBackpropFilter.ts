// A faster Conv2DBackpropFilter for tfjs' cpu backend. tfjs' own kernel reads every
// element through TensorBuffer.get with the batch/space loops innermost, which makes
// the weight gradient ~85% of a training step on the cpu. This one walks x and dy once
// in memory order (NHWC) and accumulates outer products of contiguous channel rows.
// Same padding rules (backend_util.computeConv2DInfo); NHWC, no dilation. Its sums are
// rounded to float32 at every add where tfjs keeps a double until the end: equal to float32
// rounding, not bit for bit (1e8 + 1 − 1e8 gives 0 here, 1 there).
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';
import { registerFastCpuBroadcast } from './cpuBroadcast';
import { registerFastCpuMatMul } from './cpuMatMul';
import { registerFastCpuFusedBatchNorm } from './cpuFusedBatchNorm';
import { registerFastCpuReduce } from './cpuReduce';
import { walkConv } from './convTaps';
import { allFinite } from './finiteValues';
import { geometryOf, registerFastCpuConv } from './cpuConv2D';
import { registerFastCpuSlice } from './cpuSlice';
import { registerFastCpuUnary } from './cpuUnary';
import { take } from './cpuArrayPool';

export interface KernelArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: CpuBackendLike;
  attrs: { strides: [number, number] | number; pad: 'valid' | 'same' | number; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
}

export function conv2DBackpropFilterNHWC(args: KernelArgs): tf.TensorInfo {
  // What this kernel does not cover goes to tfjs' own, as Conv2D's and Conv2DBackpropInput's do.
  if (args.attrs.dataFormat !== 'NHWC') return callOriginalCpuKernel('Conv2DBackpropFilter', args);
  const { x, dy } = args.inputs;
  const xv = args.backend.data.get(x.dataId).values;
  const dv = args.backend.data.get(dy.dataId).values;
  // Zero inputs are skipped: a NaN or ∞ in dy must meet them as tfjs' kernel does (finiteValues.ts).
  if (!allFinite(dv)) return callOriginalCpuKernel('Conv2DBackpropFilter', args);
  return args.backend.makeTensorInfo(args.attrs.filterShape, 'float32', conv2DBackpropFilterValues(x.shape, xv, dv, args.attrs));
}

/** The weight gradient of an NHWC conv from x's and dy's values (any backend that can hand them over). */
export function conv2DBackpropFilterValues(xShape: readonly number[], xv: ArrayLike<number>, dv: ArrayLike<number>, attrs: KernelArgs['attrs']): Float32Array {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat !== 'NHWC') throw new Error('fast Conv2DBackpropFilter: only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const g = geometryOf(info);
  const dw = take(g.FH * g.FW * g.C * g.K);
  walkConv('filterGrad', xv, dv, dw, g);
  return dw;
}

/**
 * The same weight gradient without skipping anything: every product x·dy over the positions
 * the filter covers (padding excluded, as in tfjs' kernels). For a dy holding NaN or ∞ on a
 * backend with no tfjs kernel to hand it to (wasm): 0 · ∞ must come out NaN, as on cpu.
 */
export function conv2DBackpropFilterPlain(xShape: readonly number[], xv: ArrayLike<number>, dv: ArrayLike<number>, attrs: KernelArgs['attrs']): Float32Array {
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: K, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const dw = take(FH * FW * C * K);
  for (let fh = 0; fh < FH; fh++)
    for (let fw = 0; fw < FW; fw++)
      for (let c = 0; c < C; c++)
        for (let k = 0; k < K; k++) {
          let sum = 0;
          for (let b = 0; b < B; b++)
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * SH - top + fh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * SW - left + fw;
                if (iw < 0 || iw >= W) continue;
                sum += xv[((b * H + ih) * W + iw) * C + c] * dv[((b * OH + oh) * OW + ow) * K + k];
              }
            }
          dw[((fh * FW + fw) * C + c) * K + k] = sum;
        }
  return dw;
}

/** tfjs' own cpu kernel, kept for the parity test. */
export function originalCpuConv2DBackpropFilter(): tf.KernelConfig | undefined {
  return originalCpuKernel('Conv2DBackpropFilter');
}

/**
 * Replace the cpu backend's Conv2DBackpropFilter with the fast one, and Conv2D and
 * Conv2DBackpropInput (cpuConv2D.ts), Slice/SplitV (cpuSlice.ts), Add/Sub/Multiply/RealDiv
 * (cpuBroadcast.ts), Relu/Step/ClipByValue (cpuUnary.ts), BatchMatMul (cpuMatMul.ts) and
 * Sum/Mean (cpuReduce.ts) and inference BatchNorm (cpuFusedBatchNorm.ts) too (idempotent).
 */
export function registerFastCpuKernels(): void {
  registerFastCpuSlice();
  registerFastCpuBroadcast();
  registerFastCpuUnary();
  registerFastCpuConv();
  registerFastCpuMatMul();
  registerFastCpuReduce();
  registerFastCpuFusedBatchNorm();
  replaceCpuKernel('Conv2DBackpropFilter', conv2DBackpropFilterNHWC);
}
