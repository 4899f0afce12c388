// Training-mode BatchNorm over the last axis for the GPU backends (webgpu, webgl), as one
// custom-gradient op of plain tf ops. tf.moments + tf.batchNorm differentiated by tfjs cost
// ~5 reductions and several rank-1 broadcasts per layer: on WebGPU ([B, H, W, C] against a
// [C] operand) those broadcasts ran ~15× slower than against [1, 1, 1, C], and the default
// size's step spent about half its time in BatchNorm's backward on SwiftShader. Here:
//   forward   μ = Σx/M, σ² = Σ(x − μ)²/M (biased, as tf.moments), x̂ = (x − μ)·rsqrt(σ² + ε),
//             y = γ·x̂ + β;
//   backward  dβ = Σdy, dγ = Σ dy·x̂, dx = γ·rsqrt(σ² + ε)/M · (M·dy − dβ − x̂·dγ),
// with per-channel sums over the M = B·H·W rows as a [1, M] × [M, C] matmul (one dispatch;
// tfjs reduces only innermost axes, so a sum over N, H, W first transposes the tensor).
import * as tf from '@tensorflow/tfjs';
import type { BatchNormTrainResult } from './cpuBatchNorm';
import { webgpuChannelSums } from './webgpuChannelSums';

/** Σ over every axis but the last: [.., C] → [1, C] (on webgpu one program: webgpuChannelSums.ts). */
function channelSums(t: tf.Tensor, ones: tf.Tensor2D | undefined, m: number, c: number): tf.Tensor2D {
  if (!ones) return webgpuChannelSums(t, m, c);
  return tf.matMul(ones, tf.reshape(t, [m, c]));
}

export function batchNormTrainOps(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): BatchNormTrainResult {
  const c = x.shape[x.rank - 1];
  const m = x.size / c;
  const bshape = [...new Array<number>(x.rank - 1).fill(1), c];
  let mean!: tf.Tensor1D;
  let variance!: tf.Tensor1D;
  const op = tf.customGrad(((xIn: tf.Tensor, gIn: tf.Tensor, bIn: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    // The row of ones of the matmul sums; WebGPU sums in a program of its own and needs none.
    const ones = tf.getBackend() === 'webgpu' ? undefined : (tf.ones([1, m]) as tf.Tensor2D);
    const mu = tf.div(channelSums(xIn, ones, m, c), m);
    const xc = tf.sub(xIn, tf.reshape(mu, bshape));
    const v = tf.div(channelSums(tf.square(xc), ones, m, c), m);
    const rstd = tf.reshape(tf.rsqrt(tf.add(v, eps)), bshape);
    const xhat = tf.mul(xc, rstd);
    const g4 = tf.reshape(gIn, bshape);
    mean = tf.keep(tf.reshape(mu, [c])) as tf.Tensor1D;
    variance = tf.keep(tf.reshape(v, [c])) as tf.Tensor1D;
    save(ones ? [xhat, rstd, g4, ones] : [xhat, rstd, g4]);
    return {
      value: tf.add(tf.mul(xhat, g4), tf.reshape(bIn, bshape)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, g, o] = saved;
        const dBeta = channelSums(dy, o as tf.Tensor2D | undefined, m, c);
        const dGamma = channelSums(tf.mul(dy, xh), o as tf.Tensor2D | undefined, m, c);
        const inner = tf.sub(tf.sub(tf.mul(dy, m), tf.reshape(dBeta, bshape)), tf.mul(xh, tf.reshape(dGamma, bshape)));
        const dx = tf.mul(inner, tf.div(tf.mul(g, rs), m));
        return [dx, tf.reshape(dGamma, gIn.shape), tf.reshape(dBeta, bIn.shape)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta) as tf.Tensor;
  return { y, mean, variance };
}
