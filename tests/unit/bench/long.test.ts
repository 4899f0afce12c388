// The --long leak check: memoryGrowth on readings, and runLong on a short run — flat
// when nothing leaks, not flat when a tensor is kept between readings.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchConfig, memoryGrowth, runLong } from '../../../src/engine/bench';
import { loadDataset } from '../../../src/engine/data';

const config = benchConfig('cdg', true);
const dataset = await loadDataset('shapes', { seed: config.seed, trainCount: config.data.trainCount, testCount: config.data.testCount });

describe('memoryGrowth', () => {
  const r = (step: number, numTensors: number, numBytes: number) => ({ step, numTensors, numBytes });
  it('flat readings are flat; a rise of either figure over the first is growth; a fall is not', () => {
    expect(memoryGrowth([r(100, 50, 1000), r(200, 50, 1000), r(300, 50, 1000)])).toEqual({ tensors: 0, bytes: 0, flat: true });
    expect(memoryGrowth([r(100, 50, 1000), r(200, 51, 1000), r(300, 50, 1000)])).toMatchObject({ tensors: 1, flat: false });
    expect(memoryGrowth([r(100, 50, 1000), r(200, 50, 1004)])).toMatchObject({ tensors: 0, bytes: 4, flat: false });
    expect(memoryGrowth([r(100, 50, 1000), r(200, 49, 996)])).toMatchObject({ flat: true });
    expect(memoryGrowth([{ ...r(100, 5, 10), numBytesInGPU: 10 }, { ...r(200, 5, 10), numBytesInGPU: 20 }])).toMatchObject({ gpuBytes: 10, flat: false });
    expect(memoryGrowth([])).toMatchObject({ flat: true });
  });
});

describe('runLong (short)', () => {
  it('refuses a run too short for two memory readings (growth would go unseen)', async () => {
    await expect(runLong({ presets: ['cdg'], tiny: true, dataset, steps: 9, every: 5 })).rejects.toThrow(/fewer than two memory readings/);
  });

  it('two presets, 10 steps, a reading every 5: flat, everything freed after dispose', async () => {
    const out = await runLong({ presets: ['cdg', 'syncp-2of4'], tiny: true, dataset, steps: 10, every: 5 });
    expect(out.map((o) => o.preset)).toEqual(['cdg', 'syncp-2of4']);
    for (const o of out) {
      expect(o.readings.map((x) => x.step)).toEqual([5, 10]);
      expect(o.flat).toBe(true);
      expect(o.tensorGrowth).toBe(0);
      expect(o.leftAfterDispose).toBe(0);
    }
  });

  it('a tensor kept between readings is reported as growth', async () => {
    const leaked: tf.Tensor[] = [];
    const out = await runLong({ presets: ['syncp-2of4'], tiny: true, dataset, steps: 10, every: 5, onProgress: () => void leaked.push(tf.keep(tf.zeros([4]))) });
    expect(out[0].flat).toBe(false);
    expect(out[0].tensorGrowth).toBe(1);
    expect(out[0].byteGrowth).toBe(16);
    tf.dispose(leaked);
  });
});
