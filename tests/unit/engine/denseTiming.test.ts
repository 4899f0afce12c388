// The dense counterpart the FLOPs panel's "measured" line times a sparse run against: the
// same network without its sparsifiers, timed on a throw-away trainer that leaves nothing behind.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { buildConfig, PRESET_NAMES } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { denseConfigOf, timeDenseStep, timedAndCounted } from '../../../src/engine/denseTiming';
import { Trainer } from '../../../src/engine/trainer';

const shapes = await loadDataset('shapes', { seed: 4, trainCount: 40, testCount: 20 });

describe('dense timing', () => {
  it('the dense config of every preset keeps the network, data, batch and method and drops both sparsifiers', () => {
    for (const preset of PRESET_NAMES) {
      const c = buildConfig({ preset, tiny: true });
      const d = denseConfigOf(c);
      expect(d.syncp).toBeUndefined();
      expect(d.cdg).toBeUndefined();
      expect({ ...d, syncp: c.syncp, cdg: c.cdg }).toEqual(c);
      // Dense FLOPs of the two trainers agree: the same network is being compared.
      const a = new Trainer(c, shapes);
      const b = new Trainer(d, shapes);
      expect(b.flops().dense).toBe(a.flops().dense);
      expect(b.flops().effective).toBe(b.flops().dense);
      a.dispose();
      b.dispose();
    }
  });

  it('times a dense step and leaves no tensor behind', async () => {
    const c = buildConfig({ preset: 'syncp-2of4', tiny: true, overrides: { batchSize: 4 } });
    const before = tf.memory().numTensors;
    const t = await timeDenseStep(c, shapes, 150, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.steps).toBe(2);
    expect(t.denseMs).toBeGreaterThan(0);
  });

  // Found by a read-only hunt: the denominator took the upper of the two middle times.
  it('the dense time is the median of the timed steps: the mean of the two middle ones for an even count, the warm-up left out', async () => {
    const times = [500, 20, 10, 40, 30];
    const spy = vi.spyOn(Trainer.prototype, 'trainStep').mockImplementation(async () => ({ step: 1, loss: 1, lr: 0, ms: times.shift()!, metrics: {} }));
    try {
      const c = buildConfig({ preset: 'syncp-2of4', tiny: true });
      expect((await timeDenseStep(c, shapes, 0, 2)).denseMs).toBe(15); // warm-up 500, then 20, 10
      expect((await timeDenseStep(c, shapes, 0, 1)).denseMs).toBe(30); // warm-up 40, then 30
    } finally {
      spy.mockRestore();
    }
  });

  it('timedAndCounted: the median time and the median counted ratio of the same steps, regrowth passes counted where they ran', () => {
    const A = [['enc.conv1']];
    const asked: string[][][] = [];
    const countedOf = (passes: string[][]) => {
      asked.push(passes);
      return passes.length ? 0.9 : 0.5;
    };
    expect(timedAndCounted([], countedOf)).toBeUndefined();
    // Most sampled steps ran a pass (a short schedule): the time includes it, and so does the count.
    expect(timedAndCounted([{ ms: 10 }, { ms: 30, passes: A }, { ms: 32, passes: A }], countedOf)).toEqual({ runMs: 30, counted: 0.9 });
    expect(asked).toEqual([[], A]); // once per distinct set of passes
    // Most steady: a rare pass step moves neither.
    expect(timedAndCounted([{ ms: 10 }, { ms: 11 }, { ms: 30, passes: A }], countedOf)).toEqual({ runMs: 11, counted: 0.5 });
    // The middle of the sorted times (the mean of the two middle ones for an even count): the
    // worker's 10-step window over two speeds gives 15, not the upper 20 (a third too high).
    const ten = [10, 10, 10, 10, 10, 20, 20, 20, 20, 20].map((ms) => ({ ms }));
    expect(timedAndCounted(ten, countedOf)?.runMs).toBe(15);
    expect(timedAndCounted([4, 1, 3, 2].map((ms) => ({ ms })), countedOf)?.runMs).toBe(2.5);
  });
});
