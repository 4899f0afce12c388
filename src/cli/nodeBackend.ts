// Starts a tfjs backend in Node for the CLIs and reports what really runs: cpu (with the
// fast cpu kernels), webgpu (Dawn through the `webgpu` package, see nodeWebgpu.ts; small
// tensors stay on the GPU as in parity tests) or wasm (see kernels/wasmKernels.ts).
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendReport } from '../engine/backend';
import { installNodeWebGPU } from './nodeWebgpu';
import { startConvThreads } from './convThreads';

export type NodeBackendName = 'cpu' | 'webgpu' | 'wasm';

export interface NodeBackend {
  backend: string;
  adapter: string;
  /** Set when the backend asked for is not the one that runs (and why). */
  warning?: string;
}

/** `convThreads`: on cpu, start the conv helper thread (convThreads.ts) and wait until it is ready. */
export async function startNodeBackend(name: NodeBackendName, opts: { convThreads?: boolean } = {}): Promise<NodeBackend> {
  if (name === 'wasm') {
    const { initWasmBackend } = await import('../engine/kernels/wasmKernels');
    const r = await initWasmBackend();
    if (r.ok) return { backend: 'wasm', adapter: r.adapter };
    const report = await initBackend(['cpu']);
    return { backend: report.backend, adapter: report.adapter, warning: `asked for wasm, running cpu: ${r.reason}` };
  }
  let warning: string | undefined;
  if (name === 'webgpu') {
    const r = await installNodeWebGPU();
    if (!r.ok) warning = r.reason;
  }
  const report: BackendReport = await initBackend(name === 'webgpu' ? ['webgpu', 'cpu'] : ['cpu']);
  if (report.backend === 'cpu' && opts.convThreads) await startConvThreads();
  if (tf.getBackend() === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (report.backend !== name) warning = `asked for ${name}, running ${report.backend}${report.fallbacks.length ? ` (${report.fallbacks.map((f) => f.reason).join('; ')})` : ''}${warning ? `; ${warning}` : ''}`;
  return { backend: report.backend, adapter: `${report.adapter}${report.softwareAdapter ? ' (software adapter)' : ''}`, warning };
}
