// On a software WebGPU adapter (SwiftShader), matmuls with at most 128 outputs avoid tfjs'
// MatMulReduceProgram. tfjs picks it for such outputs when there are few 32×32 tiles: 256
// invocations an output and a tree over workgroup memory, whose barriers SwiftShader runs by
// switching between invocations on the CPU. In a BYOL step at the app's tiny size the
// projector's input gradient ([8, 64] × [16, 64]ᵀ) took ~30 ms a dispatch that way, against
// 0.27 ms for tfjs' MatMulSmallOutputSizeProgram (docs/bench.md, "Barriers on SwiftShader").
// The wrapper sets tfjs' WEBGPU_MATMUL_PROGRAM_TYPE for the one call and restores it; a
// hardware adapter keeps tfjs' own choice (not measured here). No runtime import of the
// webgpu backend: this registers over its kernels once it has loaded (backend.ts).
import * as tf from '@tensorflow/tfjs';

/** tfjs-backend-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram. */
const SMALL_OUTPUT_SIZE_PROGRAM = 2;
/** tfjs takes MatMulReduceProgram at or below this many outputs (batch × rows × columns). */
export const REDUCE_PROGRAM_MAX_OUTPUTS = 128;

const wrapped = new Set<string>();

type MatMulAttrs = { transposeA: boolean; transposeB: boolean };

/** batch × rows × columns of a (batched) matmul's output. */
export function matMulOutputSize(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): number {
  const rows = transposeA ? a[a.length - 1] : a[a.length - 2];
  const cols = transposeB ? b[b.length - 2] : b[b.length - 1];
  const batch = Math.max(a.slice(0, -2).reduce((x, y) => x * y, 1), b.slice(0, -2).reduce((x, y) => x * y, 1));
  return batch * rows * cols;
}

/** Wrap webgpu's BatchMatMul and _FusedMatMul as above (idempotent; call with the webgpu backend loaded). */
export function registerWebGPUSmallMatMul(): void {
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    if (wrapped.has(name)) continue;
    const original = tf.getKernel(name, 'webgpu');
    if (!original) continue;
    const kernelFunc = ((args: { inputs: { a: tf.TensorInfo; b: tf.TensorInfo }; attrs: MatMulAttrs }) => {
      const { a, b } = args.inputs;
      const small = matMulOutputSize(a.shape, b.shape, args.attrs.transposeA, args.attrs.transposeB) <= REDUCE_PROGRAM_MAX_OUTPUTS;
      const env = tf.env();
      const before = env.getNumber('WEBGPU_MATMUL_PROGRAM_TYPE');
      if (!small || before >= 0) return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
      env.set('WEBGPU_MATMUL_PROGRAM_TYPE', SMALL_OUTPUT_SIZE_PROGRAM);
      try {
        return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
      } finally {
        env.set('WEBGPU_MATMUL_PROGRAM_TYPE', before);
      }
    }) as unknown as tf.KernelFunc;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({ ...original, kernelFunc });
    wrapped.add(name);
  }
}
