// npm run bench -- --sparse-kernels both (BenchOptions.sparseOffToo): every sparse preset
// also runs with kernels.sparse 'off' in the same rounds, as "<preset> (kernels off)",
// against the same dense counterpart. The two runs share seed and schedule, so the masks
// (and the densities read back, and the FLOPs counted from them) must be the same: only
// the kernels differ.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchConfig, runBench } from '../../../src/engine/bench';
import { loadDataset } from '../../../src/engine/data';

const config = benchConfig('syncp-2of4', true);
const dataset = await loadDataset('shapes', { seed: config.seed, trainCount: config.data.trainCount, testCount: config.data.testCount });

describe('runBench with sparseOffToo (tiny, cpu)', () => {
  it('adds "<preset> (kernels off)" for sparse presets only, with the same masks and dense counterpart', async () => {
    const before = tf.memory().numTensors;
    const rows = await runBench({ presets: ['syncp-2of4'], tiny: true, states: ['end'], rounds: 1, warmup: 1, dataset, sparseOffToo: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.preset)).toEqual(['byol-dense', 'syncp-2of4', 'syncp-2of4 (kernels off)']);
    const [, on, off] = rows;
    expect(off.dense).toBe('byol-dense');
    expect(off.ratioToDense).toBeGreaterThan(0);
    expect(off.density).toEqual(on.density);
    expect(off.flopsRatio).toBeCloseTo(on.flopsRatio, 12);
    expect(off.flopsRatio).toBeLessThan(1);
    const plain = await runBench({ presets: ['syncp-2of4'], tiny: true, states: ['end'], rounds: 1, warmup: 0, dataset });
    expect(plain.map((r) => r.preset)).toEqual(['byol-dense', 'syncp-2of4']);
  });
});
