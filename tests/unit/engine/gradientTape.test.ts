// A forward pass that throws inside a gradient left the tensors tfjs saved for the backward
// pass allocated for good (the tape is freed only by a backward pass that completes). From the
// last session's "left alone" list.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { freeingTapeOnError } from '../../../src/engine/nn/gradientTape';
import { Trainer } from '../../../src/engine/trainer';

beforeAll(() => initBackend(['cpu']));

describe('a gradient whose function throws', () => {
  it('frees what its tape saved, and the next gradient is right', () => {
    const w = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 1)));
    const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(() =>
      freeingTapeOnError(() =>
        tf.variableGrads(() => {
          // conv2d, relu and square each save tensors for their gradients.
          tf.sum(tf.square(tf.relu(tf.conv2d(x, w as tf.Variable<tf.Rank.R4>, 1, 'same'))));
          throw new Error('kernel failed');
        }, [w]),
      ),
    ).toThrow('kernel failed');
    expect(tf.memory().numTensors).toBe(before);
    // d/dw Σ (x * w) = Σ x over the taps a weight sees: compare with the same sum taken by hand for a 1×1 kernel.
    const v = tf.tidy(() => tf.variable(tf.tensor4d([2], [1, 1, 1, 1])));
    const xs = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const { grads, value } = freeingTapeOnError(() => tf.variableGrads(() => tf.sum(tf.conv2d(xs, v as tf.Variable<tf.Rank.R4>, 1, 'same')), [v]));
    expect(grads[v.name].dataSync()[0]).toBeCloseTo(10, 5);
    expect(value.dataSync()[0]).toBeCloseTo(20, 5);
    tf.dispose([w, x, v, xs, value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before - 2);
  });

  it('a training step whose loss throws inside the tape leaves the tensor count as it was', async () => {
    const dataset = await loadDataset('shapes', { seed: 1, trainCount: 32, testCount: 16 });
    const t = new Trainer(buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 6 } }), dataset);
    await t.trainStep();
    const before = tf.memory().numTensors;
    t.plugins.push({ name: 'failing', extraLoss: () => { throw new Error('out of memory'); }, dispose: () => undefined });
    await expect(t.trainStep()).rejects.toThrow('out of memory');
    t.plugins.pop();
    expect(tf.memory().numTensors).toBe(before);
    await expect(t.trainStep()).resolves.toMatchObject({ step: 2 });
    t.dispose();
  });

  // Latent until now (no plugin's checkpoint or saveState throws): a step whose plugin threw
  // there leaked the step's two views, and a held state's clones made before it.
  for (const [where, plugin] of [
    ['checkpoint', { name: 'failing', checkpoint: () => { throw new Error('checkpoint failed'); }, dispose: () => undefined }],
    ['saveState (the held state)', { name: 'failing', saveState: () => { throw new Error('saveState failed'); }, dispose: () => undefined }],
  ] as const)
    it(`a plugin whose ${where} throws leaves the tensor count as it was`, async () => {
      const dataset = await loadDataset('shapes', { seed: 1, trainCount: 32, testCount: 16 });
      const t = new Trainer(buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 6 } }), dataset);
      t.keepLastGoodState(true);
      await t.trainStep();
      const before = tf.memory().numTensors;
      t.plugins.push(plugin as never);
      await expect(t.trainStep()).rejects.toThrow(/failed/);
      t.plugins.pop();
      expect(tf.memory().numTensors).toBe(before);
      await expect(t.trainStep()).resolves.toMatchObject({ step: 2 });
      t.dispose();
    });
});

