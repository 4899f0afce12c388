// A feature pass that fails midway leaves nothing allocated (found by a leak hunt: the
// batches finished before the failure stayed, and a kNN pass's bank when its queries failed).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { Trainer } from '../../../src/engine/trainer';

describe('features that fail midway', () => {
  it('a bad index in the second evaluation batch: the error, and numTensors as before', async () => {
    await initBackend(['cpu']);
    const ds = await loadDataset('shapes', { seed: 1, trainCount: 300, testCount: 40 });
    const t = new Trainer(buildConfig({ preset: 'simclr-dense', tiny: true }), ds);
    const before = tf.memory().numTensors;
    // 600 indices: the first evaluation batch (512) is fine, the second holds one out of range.
    const idx = Array.from({ length: 600 }, (_, i) => i % 300);
    idx[599] = 100_000;
    expect(() => t.features(ds.train, idx)).toThrow(/index 100000 .* out of range/);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});
