// Σ over the rows of a [M, C] tensor, per channel, on WebGPU without workgroup barriers:
// one invocation a (channel, part) sums the rows part, part + P, … (P parts), then, when
// P > 1, one invocation a channel sums the P partials (a second program). BatchNorm on the
// GPU backends (gpuBatchNorm.ts) takes 4 such sums a layer and branch; as tfjs' matmul
// [1, M] × [M, C] (MatMulReduceProgram) they were ~60% of a tiny BYOL step on SwiftShader.
// A workgroup a channel with a tree in workgroup memory (the previous program) took 1.1–2.0 ms
// a sum at the tiny layers on SwiftShader, which runs a workgroup's barriers by switching
// between its invocations on the CPU; these partial sums take 0.11–0.49 ms (tmp bench in
// docs/bench.md, "BatchNorm's channel sums without barriers"). P keeps ~256 rows an
// invocation, so a GPU still gets C·P invocations on large tensors. No autodiff
// (BatchNorm's gradient is written out). No runtime import of the webgpu backend.
import * as tf from '@tensorflow/tfjs';
import { flatProgram, runProgram } from './webgpuProgram';

/** Rows one invocation sums (at most; fewer when M is small). */
const ROWS_PER_INVOCATION = 256;
const MAX_PARTS = 64;

/** Parts the rows are split into: 1 up to 2·256 rows, then ~256 rows a part, at most 64. */
export function channelSumParts(m: number): number {
  return Math.max(1, Math.min(MAX_PARTS, Math.floor(m / ROWS_PER_INVOCATION)));
}

const partialCode = (m: number, c: number, parts: number) => /* wgsl */ `
const M = ${m}; const C = ${c}; const P = ${parts};
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let ch = index % C;
  var acc = 0.0;
  for (var r = index / C; r < M; r += P) { acc += t[r * C + ch]; }
  result[index] = acc;
}
`;

const combineCode = (c: number, parts: number) => /* wgsl */ `
const C = ${c}; const P = ${parts};
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  var acc = 0.0;
  for (var p = 0; p < P; p++) { acc += a[p * C + index]; }
  result[index] = acc;
}
`;

/** [1, C] = Σ_rows of t viewed as [M, C] (WebGPU backend only). */
export function webgpuChannelSums(t: tf.Tensor, m: number, c: number): tf.Tensor2D {
  const parts = channelSumParts(m);
  const partial = runProgram(flatProgram(`channelSums_${m}_${c}_${parts}`, ['t'], [parts, c], partialCode(m, c, parts)), [t]);
  if (parts === 1) return partial as tf.Tensor2D;
  const sums = runProgram(flatProgram(`channelSumsCombine_${c}_${parts}`, ['a'], [1, c], combineCode(c, parts)), [partial]);
  partial.dispose();
  return sums as tf.Tensor2D;
}
