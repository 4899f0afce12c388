// The linear probe: on features that separate the classes along their own axes it scores
// every held-out image right, and it leaves no tensor behind (it left 3 a call: the tensors
// its variables were made from, and the variance plus ε).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { linearProbe } from '../../../src/engine/eval/linearProbe';

/** n points of 3 classes in 4-d: class c is 5 on axis c plus a small fixed jitter (axis 3 is noise). */
function points(n: number, salt: number): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const jitter = (k: number) => (((i * 2654435761 + k * 40503 + salt) >>> 0) % 1000) / 1000 - 0.5;
    x.push([0, 1, 2, 3].map((k) => (k === c ? 5 : 0) + jitter(k)));
    y.push(c);
  }
  return { x, y };
}

describe('linearProbe', () => {
  beforeAll(() => initBackend(['cpu']));

  it('scores separable classes perfectly and leaves numTensors where it was', async () => {
    const tr = points(30, 1);
    const te = points(15, 2);
    const xTrain = tf.tensor2d(tr.x);
    const xTest = tf.tensor2d(te.x);
    const before = tf.memory().numTensors;
    const r = await linearProbe(xTrain, tr.y, xTest, te.y, { numClasses: 3, epochs: 100, seed: 1 });
    expect(r).toEqual({ trainAccuracy: 1, testAccuracy: 1, epochs: 100 });
    expect(tf.memory().numTensors).toBe(before);
    // Same inputs, same seed: the same answer, and still nothing left over.
    await linearProbe(xTrain, tr.y, xTest, te.y, { numClasses: 3, epochs: 5, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xTrain, xTest]);
  });
});
