// Tests for batchTensor: gather order, scaling to [0, 1], resizing, bounds, no leaks.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchTensor } from '../../../src/engine/data/batchTensor';
import { batchLabels, type ImageSplit } from '../../../src/engine/data/types';

// 3 images of 2×2×1 with distinct values: image i, pixel p → 10·i + p.
const split: ImageSplit = { images: Uint8Array.from([0, 1, 2, 3, 10, 11, 12, 13, 255, 21, 22, 23]), labels: Uint8Array.from([4, 5, 6]), count: 3 };
const dims = { height: 2, width: 2, channels: 1 as const };

describe('batchTensor', () => {
  it('gathers the requested images in order as float32 in [0, 1]', () => {
    const t = batchTensor(split, [2, 0, 2], dims);
    expect(t.shape).toEqual([3, 2, 2, 1]);
    expect(t.dtype).toBe('float32');
    const want = [255, 21, 22, 23, 0, 1, 2, 3, 255, 21, 22, 23].map((v) => v / 255);
    const got = Array.from(t.dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    t.dispose();
    expect(Array.from(batchLabels(split, [2, 0]))).toEqual([6, 4]);
  });

  it('resizes with a 2×2 box average at half size', () => {
    const img: ImageSplit = { images: Uint8Array.from({ length: 16 }, (_, i) => i * 10), labels: new Uint8Array(1), count: 1 };
    const t = batchTensor(img, [0], { height: 4, width: 4, channels: 1 }, { size: 2 });
    expect(t.shape).toEqual([1, 2, 2, 1]);
    // Top-left 2×2 block: pixels 0, 1, 4, 5 → (0 + 10 + 40 + 50) / 4 = 25.
    const want = [25, 45, 105, 125].map((v) => v / 255);
    Array.from(t.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    t.dispose();
  });

  it('rejects bad indices and inconsistent dims', () => {
    expect(() => batchTensor(split, [3], dims)).toThrow('index 3 at position 0 is out of range [0, 3)');
    expect(() => batchTensor(split, [0], { height: 2, width: 2, channels: 3 })).toThrow(/expected count×H×W×C/);
    expect(() => batchTensor(split, [0], dims, { size: 0 })).toThrow(/positive integer/);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    batchTensor(split, [0, 1], dims, { size: 3 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
