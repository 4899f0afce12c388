// AdamW: masked entries are frozen (no step, no decay, moments kept); schedule endpoints.
// Every AdamW case runs both ways: tf ops (webgpu, webgl, wasm) and the fused loop (cpu).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { AdamW, learningRate, predictorLearningRate } from '../../../src/engine/optim';

describe.each([false, true])('AdamW (fused %s)', (fused) => {
  it('first step moves each unmasked weight by lr·sign(g) (+ decay) and leaves masked ones', async () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3, 4]));
    const opt = new AdamW({ weightDecay: 0.1, fused });
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
    const opt = new AdamW({ weightDecay: 0.5, fused });
    opt.apply({ b: w }, { b: tf.tensor1d([0]) }, 0.1, undefined, () => true);
    expect(((await w.array()) as number[])[0]).toBe(5);
    opt.dispose();
  });

  it('three steps with random gradients, masks and decay equal Adam computed by hand in float64; no tensor is left behind', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const n = 37;
    const w0 = Array.from({ length: n }, rand);
    const grads = [0, 1, 2].map(() => Array.from({ length: n }, rand));
    const keep = Array.from({ length: n }, (_, i) => (i % 5 === 3 ? 0 : 1));
    const [lr, wd, b1, b2, eps] = [0.03, 0.05, 0.9, 0.999, 1e-8];
    // The reference: AdamW's definition, decoupled decay, frozen where keep is 0.
    const ref = w0.slice();
    const m = new Array<number>(n).fill(0);
    const v = new Array<number>(n).fill(0);
    grads.forEach((g, t) => {
      for (let i = 0; i < n; i++) {
        if (!keep[i]) continue;
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        const mh = m[i] / (1 - b1 ** (t + 1));
        const vh = v[i] / (1 - b2 ** (t + 1));
        ref[i] -= lr * (mh / (Math.sqrt(vh) + eps) + wd * ref[i]);
      }
    });
    const w = tf.variable(tf.tensor1d(w0));
    const mask = tf.tensor1d(keep, 'bool');
    const opt = new AdamW({ weightDecay: wd, fused });
    opt.apply({ w }, { w: tf.tensor1d(grads[0]) }, lr, () => mask); // makes the moments
    const before = tf.memory().numTensors;
    for (const g of grads.slice(1)) {
      const gt = tf.tensor1d(g);
      opt.apply({ w }, { w: gt }, lr, () => mask);
      gt.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const got = w.dataSync();
    for (let i = 0; i < n; i++) {
      if (!keep[i]) expect(got[i]).toBe(Math.fround(w0[i]));
      else expect(Math.abs(got[i] - ref[i])).toBeLessThan(2e-6);
    }
    tf.dispose([w, mask]);
    opt.dispose();
  });

  it('learning rate: linear warm-up to base, cosine to 0', () => {
    expect(learningRate(0, 100, 1, 0.1)).toBeCloseTo(0.1, 12);
    expect(learningRate(9, 100, 1, 0.1)).toBeCloseTo(1, 12);
    expect(learningRate(10, 100, 1, 0.1)).toBeCloseTo(1, 12);
    expect(learningRate(55, 100, 1, 0.1)).toBeCloseTo(0.5, 12);
    expect(learningRate(100, 100, 1, 0.1)).toBeCloseTo(0, 12);
  });

  // From an optimizer hunt: 0.29 × 100 is 28.999999999999996 in floating point, and the
  // warm-up was 28 steps, not 29 (also 0.57 and 0.58 of 100 or 200 steps).
  for (const [warmup, total] of [[0.29, 100], [0.57, 100], [0.58, 200], [0.07, 100]] as const)
    it(`warm-up of ${warmup} × ${total} steps lasts ${Math.round(warmup * total)} steps: step 0 at base / that, the last of them at base`, () => {
      const w = Math.round(warmup * total);
      expect(learningRate(0, total, 1, warmup)).toBeCloseTo(1 / w, 12);
      expect(learningRate(w - 2, total, 1, warmup)).toBeCloseTo((w - 1) / w, 12);
      expect(learningRate(w - 1, total, 1, warmup)).toBeCloseTo(1, 12);
      // The cosine starts at w: half way between w and the end, half the base rate.
      expect(learningRate(w + (total - w) / 2, total, 1, warmup)).toBeCloseTo(0.5, 12);
      expect(predictorLearningRate(w - 2, total, 1, warmup, 10, 'fixed')).toBeCloseTo((10 * (w - 1)) / w, 12);
    });

  it('lrOf gives each variable its own rate: a first step moves it by that rate·(sign(g) + decay)', async () => {
    const a = tf.variable(tf.tensor1d([1, -2]));
    const b = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW({ weightDecay: 0.1, fused });
    const g = tf.tensor1d([0.3, -4]);
    opt.apply({ a, b }, { a: g, b: g }, 0.01, undefined, undefined, (name) => (name === 'b' ? 0.1 : 0.01));
    const [ga, gb] = [(await a.array()) as number[], (await b.array()) as number[]];
    // By hand: w − rate·(g/|g| + wd·w).
    expect(ga[0]).toBeCloseTo(1 - 0.01 * (1 + 0.1), 5);
    expect(ga[1]).toBeCloseTo(-2 - 0.01 * (-1 - 0.2), 5);
    expect(gb[0]).toBeCloseTo(1 - 0.1 * (1 + 0.1), 5);
    expect(gb[1]).toBeCloseTo(-2 - 0.1 * (-1 - 0.2), 5);
    tf.dispose([a, b, g]);
    opt.dispose();
  });

  it('predictor learning rate: scale × the run’s rate (cosine), or held at scale × base after the warm-up (fixed)', () => {
    // Warm-up 10 of 100 steps: both schedules ramp as the run's rate does, times the scale.
    expect(predictorLearningRate(0, 100, 0.01, 0.1, 10, 'cosine')).toBeCloseTo(0.01, 12);
    expect(predictorLearningRate(0, 100, 0.01, 0.1, 10, 'fixed')).toBeCloseTo(0.01, 12);
    expect(predictorLearningRate(4, 100, 0.01, 0.1, 10, 'fixed')).toBeCloseTo(0.05, 12);
    // Half-way through the cosine (step 55): the run's rate is base/2.
    expect(predictorLearningRate(55, 100, 0.01, 0.1, 10, 'cosine')).toBeCloseTo(0.05, 12);
    expect(predictorLearningRate(55, 100, 0.01, 0.1, 10, 'fixed')).toBeCloseTo(0.1, 12);
    expect(predictorLearningRate(100, 100, 0.01, 0.1, 10, 'cosine')).toBeCloseTo(0, 12);
    expect(predictorLearningRate(100, 100, 0.01, 0.1, 3, 'fixed')).toBeCloseTo(0.03, 12);
  });
});
