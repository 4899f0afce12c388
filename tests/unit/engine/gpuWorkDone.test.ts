// gpuWorkDone on Dawn in Node (SwiftShader without a GPU): it resolves once the queued work
// has run, and on the host backends at once. Skipped where no WebGPU adapter.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuWorkDone } from '../../../src/engine/gpuWorkDone';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();

describe('gpuWorkDone', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('on cpu resolves at once', async () => {
    await tf.setBackend('cpu');
    await expect(gpuWorkDone()).resolves.toBeUndefined();
  });

  it.skipIf(report?.backend !== 'webgpu')('on webgpu resolves after work queued without a readback, which leaves no command unsubmitted', async () => {
    await tf.setBackend('webgpu');
    const a = tf.randomNormal([256, 256]);
    const x = tf.tidy(() => {
      let y = a;
      for (let i = 0; i < 8; i++) y = tf.matMul(y, a);
      return y;
    });
    await gpuWorkDone();
    // Nothing of this was submitted before the call (tfjs batches commands until a readback); after it, none is pending.
    const b = tf.backend() as unknown as { commandQueueOwnedIds?: Set<number>; dispatchCountInPass?: number };
    if (b.dispatchCountInPass !== undefined) expect(b.dispatchCountInPass).toBe(0);
    expect((await x.data()).length).toBe(256 * 256);
    tf.dispose([a, x]);
  });
});
