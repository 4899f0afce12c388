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

  it('a side that does not divide: 3 → 2 weighs each source pixel by its overlap (a box filter)', () => {
    const img = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // 3×3, one channel
    const out = areaShrink({ images: Uint8Array.from(img), labels: Uint8Array.of(0), count: 1 }, 3, 2, 1);
    // Output row 0 covers source rows [0, 1.5): row 0 whole, row 1 half (weights 2/3, 1/3); the same for columns.
    // (0,0): (4·1 + 2·2 + 2·4 + 1·5)/9 = 21/9 → 2; (0,1): (2·2 + 4·3 + 1·5 + 2·6)/9 = 33/9 → 4;
    // (1,0): (2·4 + 1·5 + 4·7 + 2·8)/9 = 57/9 → 6; (1,1): (1·5 + 2·6 + 2·8 + 4·9)/9 = 69/9 → 8.
    expect(Array.from(out.images)).toEqual([2, 4, 6, 8]);
  });

  it('commutes with a horizontal flip at any side, and keeps an edge column’s weight (32 → 24)', () => {
    const from = 32, to = 24;
    const img = new Uint8Array(from * from);
    for (let y = 0; y < from; y++) for (let x = 0; x < from; x++) img[y * from + x] = (x * 37 + y * 11) % 256;
    const flip = (a: Uint8Array, side: number) => Uint8Array.from(a, (_, i) => a[Math.floor(i / side) * side + (side - 1 - (i % side))]);
    const shrink = (a: Uint8Array) => areaShrink({ images: a, labels: Uint8Array.of(0), count: 1 }, from, to, 1).images;
    expect(Array.from(shrink(flip(img, from)))).toEqual(Array.from(flip(shrink(img), to)));
    // A white first column and a white last column, the rest black: both edges come out alike, each 3/4 of a 4/3-wide footprint.
    const edges = Uint8Array.from({ length: from * from }, (_, i) => (i % from === 0 || i % from === from - 1 ? 255 : 0));
    const out = shrink(edges);
    expect(out[0]).toBe(Math.round((255 * 1) / (from / to)));
    expect(out[to - 1]).toBe(out[0]);
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
