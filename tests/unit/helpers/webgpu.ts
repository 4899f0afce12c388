// WebGPU in Node for the WebGPU test files (Dawn via the `webgpu` package; SwiftShader
// where there is no GPU), as the CLIs start it: tensors stay on the GPU however small.
// Undefined or not 'webgpu' when it cannot start: the files skip their WebGPU tests then.
import * as tf from '@tensorflow/tfjs';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';
import { initBackend, type BackendReport } from '../../../src/engine/backend';

export async function startTestWebGPU(): Promise<BackendReport | undefined> {
  const installed = await installNodeWebGPU();
  const report = installed.ok ? await initBackend(['webgpu']) : undefined;
  if (report?.backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  return report;
}
