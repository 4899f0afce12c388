// Area shrinking of stored images against hand-computed block means.
import { describe, expect, it } from 'vitest';
import { areaShrink, shrinkDataset } from '../../../src/engine/data/areaResize';
import type { Dataset } from '../../../src/engine/data';

describe('areaShrink', () => {
  it('a 4×4 image of constant 2×2 blocks halves to the block values', () => {
    // One channel; blocks 10, 20 / 30, 40.
    const img = [10, 10, 20, 20, 10, 10, 20, 20, 30, 30, 40, 40, 30, 30, 40, 40];
    const out = areaShrink({ images: Uint8Array.from(img), labels: Uint8Array.of(1), count: 1 }, 4, 2, 1);
    expect(Array.from(out.images)).toEqual([10, 20, 30, 40]);
    expect(Array.from(out.labels)).toEqual([1]);
  });

  it('each output pixel is the mean of its 2×2 block, per channel and per image (hand-computed)', () => {
    // Two 2×2 RGB images to 1×1: the mean of the four pixels, channel by channel.
    const a = [0, 100, 200, 4, 100, 200, 8, 100, 201, 12, 100, 201];
    const b = [255, 0, 1, 255, 0, 1, 255, 0, 2, 251, 0, 2];
    const out = areaShrink({ images: Uint8Array.from([...a, ...b]), labels: Uint8Array.of(0, 1), count: 2 }, 2, 1, 3);
    expect(Array.from(out.images)).toEqual([6, 100, 201, 254, 0, 2]); // 24/4, 400/4, 802/4 = 200.5 → 201; 1016/4, 0, 6/4 = 1.5 → 2
  });

  it('a side that does not divide: 3 → 2 averages rows/columns {0} and {1, 2}', () => {
    const img = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // 3×3, one channel
    const out = areaShrink({ images: Uint8Array.from(img), labels: Uint8Array.of(0), count: 1 }, 3, 2, 1);
    // (0,0): 1; (0,1): mean(2, 3) = 2.5 → 3; (1,0): mean(4, 7) = 5.5 → 6; (1,1): mean(5, 6, 8, 9) = 7.
    expect(Array.from(out.images)).toEqual([1, 3, 6, 7]);
  });

  it('keeps a constant image constant at every smaller side, and refuses to enlarge', () => {
    const from = 13;
    const split = { images: new Uint8Array(from * from * 3).fill(77), labels: Uint8Array.of(0), count: 1 };
    for (let to = 1; to <= from; to++) expect(areaShrink(split, from, to, 3).images.every((v) => v === 77)).toBe(true);
    expect(() => areaShrink(split, from, from + 1, 3)).toThrow(/enlarges nothing/);
  });

  it('shrinkDataset shrinks both splits and says the new side', () => {
    const split = (v: number) => ({ images: new Uint8Array(8 * 8 * 3).fill(v), labels: Uint8Array.of(0), count: 1 });
    const d: Dataset = { name: 'own', height: 8, width: 8, channels: 3, classNames: ['a', 'b'], train: split(5), test: split(9) };
    const s = shrinkDataset(d, 4);
    expect([s.height, s.width, s.train.images.length, s.test.images.length]).toEqual([4, 4, 48, 48]);
    expect(s.test.images.every((v) => v === 9)).toBe(true);
  });
});
