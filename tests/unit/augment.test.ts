// Tests for the seeded augmentations: determinism, shapes and range, exact flip, grayscale, hue, parameter statistics, no leaks.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  applyAugmentParams, augmentBatch, augmentPair, defaultAugment, noAugment, sampleAugmentParams,
  validateAugmentConfig, type AugmentConfig, type AugmentParams,
} from '../../src/engine/augment';
import { makeShapes } from '../../src/engine/data/shapes';
import { batchTensor } from '../../src/engine/data/batchTensor';
import { Rng } from '../../src/engine/random';

const shapes = makeShapes({ seed: 1, trainCount: 8, testCount: 0 });
const rgbBatch = () => batchTensor(shapes.train, [0, 1, 2, 3, 4, 5, 6, 7], shapes);
const grayBatch = () => tf.tidy(() => tf.mean(rgbBatch(), 3, true) as tf.Tensor4D);
const strong: AugmentConfig = { ...defaultAugment, jitterProb: 1, grayscaleProb: 0.5, solarizeProb: 0.5, brightness: 0.9, contrast: 0.9, saturation: 0.9, hue: 0.5 };

const bytes = (t: tf.Tensor) => Array.from(t.dataSync());
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Identity parameters for a batch of n. */
function identityParams(n: number, boxes: number[]): AugmentParams {
  return {
    boxes: Float32Array.from(boxes),
    crops: new Float32Array(4 * n),
    brightness: new Float32Array(n).fill(1),
    contrast: new Float32Array(n).fill(1),
    saturation: new Float32Array(n).fill(1),
    hue: new Float32Array(n),
    grayscale: new Float32Array(n),
    solarize: new Float32Array(n),
  };
}

describe('augmentations', () => {
  it('same seed ⇒ identical views; different seeds ⇒ different views; the two views of a pair differ', () => {
    const x = rgbBatch();
    const [a1, a2] = augmentPair(x, 42);
    const [b1, b2] = augmentPair(x, 42);
    const [c1] = augmentPair(x, 43);
    expect(bytes(b1)).toEqual(bytes(a1));
    expect(bytes(b2)).toEqual(bytes(a2));
    expect(maxAbsDiff(a1, c1)).toBeGreaterThan(0.1);
    expect(maxAbsDiff(a1, a2)).toBeGreaterThan(0.1);
    // An Rng is advanced: successive calls give fresh views, and replaying the stream repeats them.
    const r1 = new Rng(9), r2 = new Rng(9);
    const s1 = augmentBatch(x, r1), s2 = augmentBatch(x, r1), t1 = augmentBatch(x, r2);
    expect(maxAbsDiff(s1, s2)).toBeGreaterThan(0.1);
    expect(bytes(t1)).toEqual(bytes(s1));
    tf.dispose([x, a1, a2, b1, b2, c1, s1, s2, t1]);
  });

  it('outputs [B, out, out, C] in [0, 1] for RGB and grayscale, any output size', () => {
    for (const [x, c] of [[rgbBatch(), 3], [grayBatch(), 1]] as const) {
      for (const out of [undefined, 16, 24]) {
        const y = augmentBatch(x, 5, strong, out);
        expect(y.shape).toEqual([8, out ?? 32, out ?? 32, c]);
        expect(y.dtype).toBe('float32');
        const v = y.dataSync();
        let min = Infinity, max = -Infinity;
        for (const e of v) { if (e < min) min = e; if (e > max) max = e; }
        expect(min).toBeGreaterThanOrEqual(0);
        expect(max).toBeLessThanOrEqual(1);
        y.dispose();
      }
      x.dispose();
    }
  });

  it('the full box is the identity and the flipped box mirrors exactly (hand-built image)', () => {
    // 1 image, 3×4, 2 channels-worth of distinct values per pixel → use 3 channels.
    const vals = Array.from({ length: 3 * 4 * 3 }, (_, i) => i / 40);
    const x = tf.tensor4d(vals, [1, 3, 4, 3]);
    const id = applyAugmentParams(x, identityParams(1, [0, 0, 1, 1]));
    bytes(id).forEach((v, i) => expect(v).toBeCloseTo(vals[i], 6));
    const flipped = applyAugmentParams(x, identityParams(1, [0, 1, 1, 0]));
    // Expected mirror computed by index arithmetic: out[y][x][c] = in[y][W-1-x][c].
    const want: number[] = [];
    for (let y = 0; y < 3; y++) for (let xx = 0; xx < 4; xx++) for (let c = 0; c < 3; c++) want.push(vals[(y * 4 + (3 - xx)) * 3 + c]);
    bytes(flipped).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    tf.dispose([x, id, flipped]);
  });

  it('the sampler produces exactly that flip when asked for a whole-image crop with flipProb 1', () => {
    const x = rgbBatch();
    const cfg: AugmentConfig = { ...noAugment, flipProb: 1 };
    const y = augmentBatch(x, 3, cfg);
    expect(maxAbsDiff(y, tf.reverse(x, 2))).toBeLessThan(1e-6);
    const same = augmentBatch(x, 3, noAugment);
    expect(maxAbsDiff(same, x)).toBeLessThan(1e-6);
    tf.dispose([x, y, same]);
  });

  it('grayscale output has three equal channels equal to the luma of the input', () => {
    const x = rgbBatch();
    const y = augmentBatch(x, 7, { ...noAugment, grayscaleProb: 1 });
    const [r, g, b] = tf.split(y, 3, 3);
    expect(maxAbsDiff(r, g)).toBe(0);
    expect(maxAbsDiff(r, b)).toBe(0);
    const [xr, xg, xb] = tf.split(x, 3, 3);
    const luma = tf.addN([tf.mul(xr, 0.299), tf.mul(xg, 0.587), tf.mul(xb, 0.114)]);
    expect(maxAbsDiff(r, luma)).toBeLessThan(1e-5);
    tf.dispose([x, y, r, g, b, xr, xg, xb, luma]);
  });

  it('a hue shift keeps luma (YIQ rotation) and changes chroma; brightness scales', () => {
    // Mid-range colours so no clipping happens.
    const x = tf.tensor4d([0.4, 0.5, 0.6, 0.55, 0.45, 0.35, 0.5, 0.4, 0.45, 0.42, 0.58, 0.5], [1, 2, 2, 3]);
    const p = identityParams(1, [0, 0, 1, 1]);
    p.hue[0] = 0.1;
    const y = applyAugmentParams(x, p);
    const lumaOf = (t: tf.Tensor) => tf.sum(tf.mul(t, tf.tensor1d([0.299, 0.587, 0.114])), 3);
    expect(maxAbsDiff(lumaOf(y), lumaOf(x))).toBeLessThan(1e-4);
    expect(maxAbsDiff(y, x)).toBeGreaterThan(0.02);
    // Half a turn twice is a full turn: back to the input.
    p.hue[0] = 0.5;
    const half = applyAugmentParams(applyAugmentParams(x, p), p);
    expect(maxAbsDiff(half, x)).toBeLessThan(1e-4);
    const q = identityParams(1, [0, 0, 1, 1]);
    q.brightness[0] = 1.5;
    const bright = applyAugmentParams(x, q);
    expect(maxAbsDiff(bright, tf.mul(x, 1.5))).toBeLessThan(1e-6);
    tf.dispose([x, y, half, bright]);
  });

  it('1-channel images get brightness/contrast only (no saturation, hue or grayscale parameters)', () => {
    const p = sampleAugmentParams(new Rng(1), 500, 28, 28, 1, strong);
    expect(p.saturation.every((v) => v === 1)).toBe(true);
    expect(p.hue.every((v) => v === 0)).toBe(true);
    expect(p.grayscale.every((v) => v === 0)).toBe(true);
    expect(p.brightness.some((v) => v !== 1)).toBe(true);
    expect(p.contrast.some((v) => v !== 1)).toBe(true);
  });

  it('small crops near the edge never sample outside the image (no black borders)', () => {
    const x = tf.ones([64, 32, 32, 3]) as tf.Tensor4D;
    const y = augmentBatch(x, 11, { ...noAugment, cropScale: [0.05, 0.1], cropRatio: [0.5, 2], flipProb: 0.5 });
    expect(tf.min(y).dataSync()[0]).toBeCloseTo(1, 6);
    tf.dispose([x, y]);
  });

  it('sampled parameters follow the configuration (crop area and ratio ranges, flip and jitter rates)', () => {
    const n = 4000;
    const cfg = defaultAugment;
    const p = sampleAugmentParams(new Rng(2), n, 32, 32, 3, cfg);
    let flips = 0, jittered = 0, gray = 0;
    for (let i = 0; i < n; i++) {
      const [top, left, h, w] = p.crops.subarray(4 * i, 4 * i + 4);
      const area = w * h, ratio = w / h; // square input: fractions' ratio is the pixel ratio
      expect(area).toBeGreaterThanOrEqual(cfg.cropScale[0] - 1e-4);
      expect(area).toBeLessThanOrEqual(cfg.cropScale[1] + 1e-4);
      expect(ratio).toBeGreaterThanOrEqual(cfg.cropRatio[0] - 1e-4);
      expect(ratio).toBeLessThanOrEqual(cfg.cropRatio[1] + 1e-4);
      expect(top >= 0 && left >= 0 && top + h <= 1 + 1e-6 && left + w <= 1 + 1e-6).toBe(true);
      // The box samples 32 pixel centres inside the crop: pixel c·31 ↔ continuous (c·31 + ½) / 32, up to the clamp to the outer centres.
      const [y1, x1, y2, x2] = p.boxes.subarray(4 * i, 4 * i + 4);
      for (const v of [y1, x1, y2, x2]) expect(v >= 0 && v <= 1).toBe(true);
      const xs = [x1, x2].sort((a, b) => a - b);
      expect(Math.abs((xs[0] * 31 + 0.5) / 32 - (left + w / 64))).toBeLessThan(0.5 / 32 + 1e-5);
      expect(Math.abs((xs[1] * 31 + 0.5) / 32 - (left + w - w / 64))).toBeLessThan(0.5 / 32 + 1e-5);
      expect(Math.abs((y1 * 31 + 0.5) / 32 - (top + h / 64))).toBeLessThan(0.5 / 32 + 1e-5);
      if (x1 > x2) flips++;
      if (p.brightness[i] !== 1) jittered++;
      gray += p.grayscale[i];
    }
    const within = (k: number, prob: number) => Math.abs(k - n * prob) < 5 * Math.sqrt(n * prob * (1 - prob));
    expect(within(flips, 0.5)).toBe(true);
    expect(within(jittered, 0.8)).toBe(true);
    expect(within(gray, 0.2)).toBe(true);
  });

  it('accepts a pair of configs for asymmetric views', () => {
    const x = rgbBatch();
    const [v1, v2] = augmentPair(x, 1, [noAugment, { ...noAugment, solarizeProb: 1 }]);
    expect(maxAbsDiff(v1, x)).toBeLessThan(1e-6);
    const sol = tf.where(tf.greaterEqual(x, 0.5), tf.sub(1, x), x);
    expect(maxAbsDiff(v2, sol)).toBeLessThan(1e-6);
    tf.dispose([x, v1, v2, sol]);
  });

  it('validates the configuration with a message naming the field', () => {
    expect(() => validateAugmentConfig({ ...defaultAugment, cropScale: [0, 1] })).toThrow('AugmentConfig.cropScale: expected 0 < lo ≤ hi ≤ 1, got [0,1]');
    expect(() => validateAugmentConfig({ ...defaultAugment, hue: 0.7 })).toThrow(/AugmentConfig\.hue/);
    expect(() => validateAugmentConfig({ ...defaultAugment, flipProb: 2 })).toThrow('AugmentConfig.flipProb: expected a probability in [0, 1], got 2');
    expect(() => validateAugmentConfig({ ...defaultAugment, brightness: -0.1 })).toThrow(/AugmentConfig\.brightness/);
    validateAugmentConfig({ ...defaultAugment, brightness: 1.5 }); // torchvision allows > 1: factors clamp at 0
    validateAugmentConfig(noAugment);
  });

  it('leaks no tensors', () => {
    const x = rgbBatch();
    const g = grayBatch();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.dispose(augmentPair(x, i, strong, 16));
      tf.dispose(augmentPair(g, i, strong));
      augmentBatch(x, new Rng(i), defaultAugment).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g]);
  });
});
