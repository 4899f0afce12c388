// Bundled by e2e/webgpuSparseConv.spec.ts (Vite, not written to disk) and run in the app's
// page: SyncCP's sparse masked-conv programs on the page's WebGPU against the masked dense
// conv (src/bench/sparseConvCheck.ts). Node's Dawn runs the same in the unit tests.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { checkSparseConv } from '../../src/bench/sparseConvCheck';

declare global {
  interface Window {
    __webgpuSparseConv?: { backend: string; check?: Awaited<ReturnType<typeof checkSparseConv>>; leaked?: number; error?: string };
  }
}

(async () => {
  try {
    await tf.setBackend('webgpu');
    const backend = tf.getBackend();
    if (backend !== 'webgpu') {
      window.__webgpuSparseConv = { backend };
      return;
    }
    const before = tf.memory().numTensors;
    const check = await checkSparseConv();
    window.__webgpuSparseConv = { backend, check, leaked: tf.memory().numTensors - before };
  } catch (e) {
    window.__webgpuSparseConv = { backend: tf.getBackend(), error: (e as Error).stack ?? String(e) };
  }
})();
