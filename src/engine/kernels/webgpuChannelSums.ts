// Σ over the rows of a [M, C] tensor, per channel, as one WebGPU program: a workgroup a
// channel, its invocations striding over the rows, then a tree in workgroup memory. BatchNorm
// on the GPU backends (gpuBatchNorm.ts) takes 4 such sums a layer and branch; as tfjs' matmul
// [1, M] × [M, C] (MatMulReduceProgram) they were ~60% of a tiny BYOL step on SwiftShader
// (114 dispatches, scripts/profile-step.ts), more than all the convs. No autodiff (BatchNorm's
// gradient is written out). No runtime import of the webgpu backend (backend.ts loads it).
import * as tf from '@tensorflow/tfjs';
import { runProgram, type Program } from './webgpuProgram';

const WG = 128;

const code = (m: number, c: number) => /* wgsl */ `
const M = ${m}; const C = ${c};
var<workgroup> part : array<f32, ${WG}>;
fn main(index : i32) {
  let tid = i32(localIndex);
  let ch = i32(workgroupId.x);
  _ = uniforms.size; // keeps the uniform binding in the layout
  var acc = 0.0;
  for (var r = tid; r < M; r += ${WG}) { acc += t[r * C + ch]; }
  part[tid] = acc;
  workgroupBarrier();
  for (var h = ${WG / 2}; h > 0; h >>= 1u) {
    if (tid < h) { part[tid] += part[tid + h]; }
    workgroupBarrier();
  }
  if (tid == 0) { result[ch] = part[0]; }
}
`;

/** [1, C] = Σ_rows of t viewed as [M, C] (WebGPU backend only). */
export function webgpuChannelSums(t: tf.Tensor, m: number, c: number): tf.Tensor2D {
  const p: Program & { size: true } = {
    outputShape: [1, c],
    shaderKey: `channelSums_${m}_${c}`,
    dispatchLayout: { x: [0] },
    dispatch: [c, 1, 1],
    workgroupSize: [WG, 1, 1],
    variableNames: ['t'],
    size: true,
    getUserCode: () => code(m, c),
  };
  return runProgram(p, [t]) as tf.Tensor2D;
}
