// npm run bench -- --sparse-kernels both: every sparse preset also runs with
// kernels.sparse 'off' in the same rounds, as "<preset>@off",
// against the same dense counterpart. The two runs share seed and schedule, so the masks
// (and the densities read back, and the FLOPs counted from them) must be the same: only
// the kernels differ.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchConfig, runBench } from '../../../src/engine/bench';
import { loadDataset } from '../../../src/engine/data';

const config = benchConfig('syncp-2of4', true);
const dataset = await loadDataset('shapes', { seed: config.seed, trainCount: config.data.trainCount, testCount: config.data.testCount });

describe('runBench with a NAME@off variant (tiny, cpu)', () => {
  it('NAME@off trains the same masks against the same dense counterpart, only the kernels differ', async () => {
    const before = tf.memory().numTensors;
    const rows = await runBench({ presets: ['syncp-2of4', 'syncp-2of4@off'], tiny: true, states: ['end'], rounds: 1, warmup: 1, dataset });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.preset)).toEqual(['byol-dense', 'syncp-2of4', 'syncp-2of4@off']);
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
