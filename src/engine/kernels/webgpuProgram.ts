// What this project's custom WebGPU programs share: the fields of tfjs' WebGPUProgram they
// set, the flat layout (one invocation an output element) and running one on the backend.
// No runtime import of the webgpu backend: the engine loads it lazily (backend.ts).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** The fields of tfjs-backend-webgpu's WebGPUProgram this project's programs set (structural). */
export interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  /** tfjs passes the output size as uniforms.size when set (a program that reads it must set it: unused bindings are dropped from the layout). */
  size?: true;
  getUserCode: () => string;
}

/** Flat programs: invocations a workgroup. */
export const WG_FLAT = 64;

/** One invocation an output element (main(index)); 2-D grid past 65535 workgroups. */
export function flatProgram(key: string, inputs: string[], outputShape: number[], code: string): Program & { size: true } {
  const n = outputShape.reduce((a, b) => a * b, 1);
  const groups = Math.ceil(n / WG_FLAT);
  const x = groups <= 65535 ? groups : Math.ceil(Math.sqrt(groups));
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [x, Math.ceil(groups / x), 1],
    workgroupSize: [WG_FLAT, 1, 1],
    variableNames: inputs,
    size: true,
    getUserCode: () => code,
  };
}

/** Runs p on the current (webgpu) backend; a float32 output tensor. */
export function runProgram(p: Program, inputs: tf.Tensor[], uniforms?: { type: 'int32' | 'float32'; data: number[] }[]): tf.Tensor {
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.runWebGPUProgram(p as unknown as Parameters<WebGPUBackend['runWebGPUProgram']>[0], inputs, 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}
