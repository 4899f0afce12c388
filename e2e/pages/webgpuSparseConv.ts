// Bundled by e2e/webgpuSparseConv.spec.ts (e2e/pageCheck.ts) and run in the app's page:
// SyncCP's sparse masked-conv programs on the page's WebGPU against the masked dense conv
// (src/bench/sparseConvCheck.ts). Node's Dawn runs the same in the unit tests.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { checkSparseConv } from '../../src/bench/sparseConvCheck';
import { publish } from './publish';

export type WebgpuSparseConvResult = { check: Awaited<ReturnType<typeof checkSparseConv>>; leaked: number };

publish<WebgpuSparseConvResult>('__webgpuSparseConv', 'webgpu', async () => {
  const before = tf.memory().numTensors;
  const check = await checkSparseConv();
  return { check, leaked: tf.memory().numTensors - before };
});
