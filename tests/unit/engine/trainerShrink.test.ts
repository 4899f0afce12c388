// A dataset stored larger than the run's image size is shrunk once by area averaging, so
// what the network sees keeps each stroke's ink wherever it lies: a 1-px vertical line in a
// 28-px image carries 16/28 of a row's worth of ink per output row at 16 px, whatever its
// column (bilinear sampling of each batch kept 25–88 %, by column). By hand, per column.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { batchTensor } from '../../../src/engine/data/batchTensor';
import type { Dataset, ImageSplit } from '../../../src/engine/data/types';
import { Trainer } from '../../../src/engine/trainer';

/** 28 images of 28×28×1: image k holds a white 1-px vertical line in column k. */
function lines(): ImageSplit {
  const images = new Uint8Array(28 * 28 * 28);
  for (let k = 0; k < 28; k++) for (let y = 0; y < 28; y++) images[k * 784 + y * 28 + k] = 255;
  return { images, labels: Uint8Array.from({ length: 28 }, (_, k) => k % 2), count: 28 };
}

describe('the trainer\'s images at a smaller size', () => {
  beforeAll(() => initBackend(['cpu']));

  it('are area-averaged once: every row keeps 16/28 of the line\'s ink, in every column, and batches take them as they are', async () => {
    const data: Dataset = { name: 'fashion-mnist', height: 28, width: 28, channels: 1, classNames: ['a', 'b'], train: lines(), test: lines() };
    const before = tf.memory().numTensors;
    const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { batchSize: 8, data: { name: 'fashion-mnist', trainCount: 28, testCount: 28, imageSize: 16 } } });
    const t = new Trainer(config, data);
    try {
      expect([t.dataset.height, t.dataset.width]).toEqual([16, 16]);
      for (const split of [t.dataset.train, t.dataset.test]) {
        expect(split.count).toBe(28);
        for (let k = 0; k < 28; k++) {
          for (let y = 0; y < 16; y++) {
            let ink = 0;
            for (let x = 0; x < 16; x++) ink += split.images[k * 256 + y * 16 + x];
            // 255·16/28 = 145.7; each of the ≤ 2 pixels the line touches rounds by ≤ ½.
            expect(Math.abs(ink - (255 * 16) / 28), `column ${k}, row ${y}`).toBeLessThanOrEqual(1);
          }
        }
      }
      // The stored data is left as it was (other runs share it).
      expect(data.height).toBe(28);
      expect(data.train.images.length).toBe(28 * 784);
      // A batch at the run's size is those bytes / 255, not resampled again.
      const x = batchTensor(t.dataset.train, [3, 17], t.dataset, { size: 16 });
      const want = Array.from([...t.dataset.train.images.subarray(3 * 256, 4 * 256), ...t.dataset.train.images.subarray(17 * 256, 18 * 256)], (v) => v / 255);
      const got = Array.from(await x.data());
      x.dispose();
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    } finally {
      t.dispose();
    }
    // At the stored size nothing is copied.
    const same = new Trainer(buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { batchSize: 8, data: { name: 'fashion-mnist', trainCount: 28, testCount: 28, imageSize: 28 } } }), data);
    expect(same.dataset).toBe(data);
    same.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('exactly 2× stays with the batch\'s resize, which averages each 2×2 block in float; 4× is area-averaged', async () => {
    // 32×32×1 images of seeded noise.
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const split = (): ImageSplit => ({ images: Uint8Array.from({ length: 8 * 1024 }, () => Math.floor(rand() * 256)), labels: Uint8Array.from({ length: 8 }, (_, k) => k % 2), count: 8 });
    const data: Dataset = { name: 'shapes', height: 32, width: 32, channels: 1, classNames: ['a', 'b'], train: split(), test: split() };
    const at = (imageSize: number) => new Trainer(buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { batchSize: 4, data: { trainCount: 8, testCount: 8, imageSize } } }), data);
    const half = at(16);
    expect(half.dataset).toBe(data);
    const x = batchTensor(half.dataset.train, [5], half.dataset, { size: 16 });
    const got = await x.data();
    x.dispose();
    const img = data.train.images.subarray(5 * 1024, 6 * 1024);
    for (let y = 0; y < 16; y++)
      for (let c = 0; c < 16; c++) {
        const mean = (img[2 * y * 32 + 2 * c] + img[2 * y * 32 + 2 * c + 1] + img[(2 * y + 1) * 32 + 2 * c] + img[(2 * y + 1) * 32 + 2 * c + 1]) / 4 / 255;
        expect(got[y * 16 + c]).toBeCloseTo(mean, 5);
      }
    half.dispose();
    const quarter = at(8);
    expect(quarter.dataset.height).toBe(8);
    const q = quarter.dataset.train.images.subarray(5 * 64, 6 * 64);
    for (let y = 0; y < 8; y++)
      for (let c = 0; c < 8; c++) {
        let sum = 0;
        for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) sum += img[(4 * y + dy) * 32 + 4 * c + dx];
        expect(Math.abs(q[y * 8 + c] - sum / 16)).toBeLessThanOrEqual(0.5);
      }
    quarter.dispose();
  });
});
