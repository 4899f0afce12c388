// Conv2D and Conv2DBackpropInput for tfjs' cpu backend (NHWC, no dilation, float32), the
// same loops as CDG's dual conv (kernels/cpuGatedConvHost.ts), so dense and gated layers are timed on
// equal kernels. Forward sums run in tfjs' order (filter row, column, input channel) and
// skip zero inputs (post-ReLU activations; adding 0 changes no sum): the same float32
// results as tfjs' kernel (a NaN or ∞ weight, which 0 · w would turn into NaN, goes to tfjs'). The input gradient walks dy in memory order; it equals tfjs'
// to float32 rounding. Anything else (NCHW, dilation, other dtypes) goes to tfjs' kernels.
import * as tf from '@tensorflow/tfjs';
import { callOriginalCpuKernel, originalCpuKernel, replaceCpuKernel } from './cpuKernelSwap';
import type { CpuBackendLike } from './cpuBackendLike';
import { walkConv } from './convTaps';
import { allFinite } from './finiteValues';
import { take } from './cpuArrayPool';

type Info = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** A conv's geometry (NHWC, no dilation) as the loops read it. */
export interface ConvGeometry {
  B: number; H: number; W: number; C: number; OH: number; OW: number; K: number; FH: number; FW: number; top: number; left: number; sh: number; sw: number;
}

export function geometryOf(info: Info): ConvGeometry {
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, sh: info.strideHeight, sw: info.strideWidth,
  };
}

/**
 * The conv forward loop, shared by the dense kernel and CDG's dual conv: adds into `y`,
 * whose rows are `outStride` wide. Input channels below `split` go to y[…, 0:K], the rest
 * to y[…, K:2K] (the dense conv: split = C, outStride = K; CDG: base channels first,
 * outStride = 2K). Sums run in tfjs' order and skip zero inputs (adding 0 changes no sum).
 */
export function convForwardInto(xv: Float32Array, wv: Float32Array, y: Float32Array, g: ConvGeometry, split: number, outStride: number): void {
  walkConv('forward', xv, y, wv, g, split, outStride);
}

export function conv2DForwardValues(xv: Float32Array, wv: Float32Array, info: Info): Float32Array {
  const g = geometryOf(info);
  const y = take(g.B * g.OH * g.OW * g.K);
  convForwardInto(xv, wv, y, g, g.C, g.K);
  return y;
}

export function conv2DBackpropInputValues(dv: Float32Array, wv: Float32Array, info: Info): Float32Array {
  const g = geometryOf(info);
  const dx = take(g.B * g.H * g.W * g.C);
  walkConv('inputGrad', dx, dv, wv, g);
  return dx;
}

type Attrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: [number, number, number, number];
};

function plain(attrs: Attrs): boolean {
  const d = attrs.dilations ?? 1;
  return attrs.dataFormat === 'NHWC' && (d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1));
}


function conv2DKernel(args: { inputs: { x: tf.TensorInfo; filter: tf.TensorInfo }; backend: CpuBackendLike; attrs: Attrs }): tf.TensorInfo {
  const { x, filter } = args.inputs;
  if (!plain(args.attrs) || x.dtype !== 'float32' || filter.dtype !== 'float32') return callOriginalCpuKernel('Conv2D', args);
  const wv = args.backend.data.get(filter.dataId).values;
  // Zero inputs are skipped: a NaN or ∞ weight must meet them as tfjs' kernel does (finiteValues.ts).
  if (!allFinite(wv)) return callOriginalCpuKernel('Conv2D', args);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], args.attrs.strides, 1, args.attrs.pad, args.attrs.dimRoundingMode, false, 'channelsLast');
  const y = conv2DForwardValues(args.backend.data.get(x.dataId).values, wv, info);
  return args.backend.makeTensorInfo([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32', y);
}

function conv2DBackpropInputKernel(args: { inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo }; backend: CpuBackendLike; attrs: Attrs }): tf.TensorInfo {
  const { dy, filter } = args.inputs;
  if (!plain(args.attrs) || dy.dtype !== 'float32' || filter.dtype !== 'float32' || !args.attrs.inputShape) return callOriginalCpuKernel('Conv2DBackpropInput', args);
  const info = tf.backend_util.computeConv2DInfo(args.attrs.inputShape, filter.shape as [number, number, number, number], args.attrs.strides, 1, args.attrs.pad, args.attrs.dimRoundingMode, false, 'channelsLast');
  const dx = conv2DBackpropInputValues(args.backend.data.get(dy.dataId).values, args.backend.data.get(filter.dataId).values, info);
  return args.backend.makeTensorInfo(args.attrs.inputShape, 'float32', dx);
}

/** Replace the cpu backend's Conv2D and Conv2DBackpropInput with the ones above (idempotent). */
export function registerFastCpuConv(): void {
  replaceCpuKernel('Conv2D', conv2DKernel);
  replaceCpuKernel('Conv2DBackpropInput', conv2DBackpropInputKernel);
}

/** tfjs' own cpu kernel of `name` (Conv2D, Conv2DBackpropInput), for parity tests. */
export function originalCpuConvKernel(name: string): tf.KernelConfig | undefined {
  return originalCpuKernel(name);
}
