// AdamW: masked entries are frozen (no step, no decay, moments kept); schedule endpoints.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { AdamW, learningRate } from '../../../src/engine/optim';

describe('AdamW', () => {
  it('first step moves each unmasked weight by lr·sign(g) (+ decay) and leaves masked ones', async () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3, 4]));
    const opt = new AdamW({ weightDecay: 0.1 });
    const g = tf.tensor1d([0.5, -0.25, 3, -1]);
    const mask = tf.tensor1d([1, 1, 0, 0]);
    opt.apply({ w }, { w: g }, 0.01, () => mask);
    const got = (await w.array()) as number[];
    // Adam's bias-corrected first step is g/|g| (ε negligible); decoupled decay adds wd·w.
    expect(got[0]).toBeCloseTo(1 - 0.01 * (1 + 0.1 * 1), 5);
    expect(got[1]).toBeCloseTo(2 - 0.01 * (-1 + 0.1 * 2), 5);
    expect(got[2]).toBe(3);
    expect(got[3]).toBe(4);
    tf.dispose([w, g, mask]);
    opt.dispose();
  });

  it('no-decay parameters get no decay', async () => {
    const w = tf.variable(tf.tensor1d([5]));
    const opt = new AdamW({ weightDecay: 0.5 });
    opt.apply({ b: w }, { b: tf.tensor1d([0]) }, 0.1, undefined, () => true);
    expect(((await w.array()) as number[])[0]).toBe(5);
    opt.dispose();
  });

  it('learning rate: linear warm-up to base, cosine to 0', () => {
    expect(learningRate(0, 100, 1, 0.1)).toBeCloseTo(0.1, 12);
    expect(learningRate(9, 100, 1, 0.1)).toBeCloseTo(1, 12);
    expect(learningRate(10, 100, 1, 0.1)).toBeCloseTo(1, 12);
    expect(learningRate(55, 100, 1, 0.1)).toBeCloseTo(0.5, 12);
    expect(learningRate(100, 100, 1, 0.1)).toBeCloseTo(0, 12);
  });
});
