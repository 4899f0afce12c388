// A training step resolves at its one readback (the loss and metrics); the GPU work queued
// after it (the optimizer update, BYOL's target EMA, SyncCP's score EMAs and regrowth pass)
// runs later, during whatever is timed next. A bench that interleaves presets waits for it
// inside each step's timed region, or it bills one preset's update to the next one.
import * as tf from '@tensorflow/tfjs';

/** Resolves once every command queued on the GPU so far has run; at once on the host backends (their ops finish when called). */
export async function gpuWorkDone(): Promise<void> {
  const name = tf.getBackend();
  if (name === 'webgpu') {
    const b = tf.backend() as unknown as { submitQueue(): void; device: { queue: { onSubmittedWorkDone(): Promise<void> } } };
    b.submitQueue();
    await b.device.queue.onSubmittedWorkDone();
  } else if (name === 'webgl') {
    await (tf.backend() as unknown as { gpgpu: { createAndWaitForFence(): Promise<void> } }).gpgpu.createAndWaitForFence();
  }
}
