// Why two WebGPU programs avoid workgroup barriers on a software adapter (SwiftShader runs a
// workgroup's barriers by switching between its invocations on the CPU): times, in Node on
// Dawn, (1) BatchNorm's per-channel sums as a workgroup a channel with a tree in workgroup
// memory (the program kernels/webgpuChannelSums.ts had, written out here) against the
// partial sums it has now; (2) small matmuls under each of tfjs' matmul program types
// (MatMulReduceProgram is the one with the barrier tree). Medians of 15 rounds of 20 (sums)
// or 7 rounds of 10 (matmuls), ms a call. Usage: npx tsx scripts/bench-swiftshader-barriers.ts
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGPU } from '../src/cli/nodeWebgpu';
import { initBackend } from '../src/engine/backend';
import { webgpuChannelSums } from '../src/engine/kernels/webgpuChannelSums';
import { runProgram, type Program } from '../src/engine/kernels/webgpuProgram';

const ok = await installNodeWebGPU();
if (!ok.ok) throw new Error(ok.reason);
const report = await initBackend(['webgpu']);
tf.env().set('WEBGPU_CPU_FORWARD', false);
console.log(`adapter: ${report.adapter}${report.softwareAdapter ? ' (software adapter)' : ''}`);

const WG = 128;
/** The replaced program: a workgroup a channel, then a tree over workgroup memory. */
function treeSums(t: tf.Tensor, m: number, c: number): tf.Tensor {
  const p: Program & { size: true } = {
    outputShape: [1, c], shaderKey: `channelSumsTree_${m}_${c}`, dispatchLayout: { x: [0] }, dispatch: [c, 1, 1], workgroupSize: [WG, 1, 1],
    variableNames: ['t'], size: true,
    getUserCode: () => `const M = ${m}; const C = ${c};
var<workgroup> part : array<f32, ${WG}>;
fn main(index : i32) {
  let tid = i32(localIndex);
  let ch = i32(workgroupId.x);
  _ = uniforms.size;
  var acc = 0.0;
  for (var r = tid; r < M; r += ${WG}) { acc += t[r * C + ch]; }
  part[tid] = acc;
  workgroupBarrier();
  for (var h = ${WG / 2}; h > 0; h >>= 1u) {
    if (tid < h) { part[tid] += part[tid + h]; }
    workgroupBarrier();
  }
  if (tid == 0) { result[ch] = part[0]; }
}`,
  };
  return runProgram(p, [t]);
}

async function timeIt(f: () => tf.Tensor, rounds: number, calls: number): Promise<number> {
  const ts: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < calls; i++) outs.push(f());
    await outs[calls - 1].data();
    tf.dispose(outs);
    ts.push((performance.now() - t0) / calls);
  }
  return ts.sort((a, b) => a - b)[Math.floor(rounds / 2)];
}

console.log('BatchNorm channel sums [M rows, C channels] (M = B·H·W: 2048 = 8·16·16 at the app\'s tiny size, 8192 = 32·16·16 at the default):');
for (const [m, c] of [[2048, 8], [512, 16], [2048, 16], [8192, 8], [8192, 16]]) {
  const t = tf.randomNormal([m, c]);
  const want = await treeSums(t, m, c).data();
  const got = await webgpuChannelSums(t, m, c).data();
  const err = Math.max(...Array.from(got).map((v, i) => Math.abs(v - want[i])));
  const tree = await timeIt(() => treeSums(t, m, c), 15, 20);
  const parts = await timeIt(() => webgpuChannelSums(t, m, c), 15, 20);
  console.log(`  [${m}, ${c}]: tree ${tree.toFixed(3)} ms, partial sums ${parts.toFixed(3)} ms (${(parts / tree).toFixed(2)}×), max |difference| ${err.toExponential(1)}`);
  t.dispose();
}

console.log('matmuls by tfjs program type (-1: what runs now, tfjs\' choice through kernels/webgpuSmallMatMul.ts on a software adapter; 0 MatMulReduce, 2 MatMulSmallOutputSize, 3 MatMulPacked):');
const cases: [number[], number[], boolean][] = [[[8, 64], [16, 64], true], [[8, 16], [16, 64], false], [[32, 64], [16, 64], true], [[32, 32], [32, 32], true]];
for (const [sa, sb, tb] of cases) {
  const a = tf.randomNormal(sa);
  const b = tf.randomNormal(sb);
  const res: string[] = [];
  for (const type of [-1, 0, 2, 3]) {
    tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', type);
    res.push(`${type}: ${(await timeIt(() => tf.matMul(a, b, false, tb), 7, 10)).toFixed(2)} ms`);
  }
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', -1);
  console.log(`  [${sa}] × [${sb}]${tb ? 'ᵀ' : ''}: ${res.join(', ')}`);
  tf.dispose([a, b]);
}
process.exit(0);
