// The cpu kernels' output arrays are reused once their tensor is disposed (cpuArrayPool.ts).
// What must hold: a run trains to the same losses bit for bit with reuse on and off; an array
// anything else may still hold (read out, a slice's view, one a caller made) never comes
// back; over random op sequences every value equals a recomputation with reuse off.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig, type PresetName } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';
import { arrayPoolStats, setArrayPoolEnabled, take } from '../../../src/engine/kernels/cpuArrayPool';

beforeAll(() => initBackend(['cpu']));
afterAll(() => setArrayPoolEnabled(true));

async function losses(preset: PresetName, steps: number): Promise<number[]> {
  const config = buildConfig({ preset, tiny: true, overrides: { steps: 40, eval: { knnEvery: 0, logEvery: 1 } } });
  const s = new RunSession(config, await loadDataset('shapes', { seed: 2, trainCount: 32, testCount: 16 }));
  const out: number[] = [];
  try {
    for (let i = 0; i < steps; i++) out.push((await s.trainStep()).result.loss);
  } finally {
    s.dispose();
  }
  return out;
}

describe('cpu output arrays reused after disposal', () => {
  it('every preset trains to the same losses, bit for bit, with reuse on and off; tensors stay flat', async () => {
    for (const preset of ['simclr-dense', 'byol-dense', 'cdg', 'syncp-2of4', 'syncp-channel'] as PresetName[]) {
      setArrayPoolEnabled(false);
      const plain = await losses(preset, 6);
      setArrayPoolEnabled(true);
      const before = tf.memory().numTensors;
      const pooled = await losses(preset, 6);
      expect(tf.memory().numTensors, preset).toBe(before);
      expect(pooled, preset).toEqual(plain);
    }
    // The reuse is real: arrays came back to the pool during those runs.
    expect(arrayPoolStats().freeArrays).toBeGreaterThan(0);
  }, 60_000);

  it('an array read out (dataSync, data) is never handed out again', async () => {
    setArrayPoolEnabled(true);
    const a = tf.fill([32, 32], 2);
    const x = tf.mul(a, 3); // the project's Multiply: its output comes from take()
    const read = x.dataSync();
    const y = tf.mul(a, 5);
    const readAsync = await y.data();
    tf.dispose([x, y]);
    // Many products of the same size: had either array gone back, one of them would reuse it.
    const more = Array.from({ length: 8 }, (_, i) => tf.mul(a, 10 + i));
    expect(Array.from(read).every((v) => v === 6)).toBe(true);
    expect(Array.from(readAsync as Float32Array).every((v) => v === 10)).toBe(true);
    tf.dispose([a, ...more]);
  });

  it('a tensor on a view of another\'s array (tfjs\' contiguous slice makes one) outlives it', () => {
    const a = tf.fill([64, 16], 1);
    const x = tf.mul(a, 4);
    const s = tf.slice(x, [0, 0], [8, 16]);
    // As tfjs' own Slice kernel does for a contiguous block: the new tensor's values are a subarray.
    const backend = tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
    const view = tf.engine().makeTensorFromTensorInfo(backend.makeTensorInfo([8, 16], 'float32', backend.data.get(x.dataId).values.subarray(0, 128)));
    x.dispose();
    const more = Array.from({ length: 8 }, (_, i) => tf.mul(a, 100 + i));
    expect(Array.from(s.dataSync()).every((v) => v === 4)).toBe(true);
    expect(Array.from(view.dataSync()).every((v) => v === 4)).toBe(true);
    tf.dispose([a, s, view, ...more]);
  });

  it('an array a caller made is never taken for the pool\'s', () => {
    const mine = new Float32Array(1024).fill(7);
    const t = tf.tensor(mine, [32, 32]);
    t.dispose();
    const ones = tf.ones([32, 32]);
    const more = Array.from({ length: 8 }, () => tf.mul(ones, 2));
    expect(mine.every((v) => v === 7)).toBe(true);
    tf.dispose([ones, ...more]);
  });

  it('take() hands out zero-filled arrays, also when reused', () => {
    const a = tf.fill([40, 40], 3);
    tf.dispose(tf.mul(a, 2)); // an array of 1600 goes back, full of 6
    const t = take(1600);
    expect(t.every((v) => v === 0)).toBe(true);
    a.dispose();
  });

  it('random op sequences with random disposals: every value as with reuse off', () => {
    const OPS = ['mul', 'add', 'relu', 'sum', 'matmul', 'slice', 'read'] as const;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...OPS), fc.nat(), fc.boolean()), { minLength: 5, maxLength: 30 }), fc.integer({ min: 1, max: 1000 }), (script, seed) => {
        const run = (reuse: boolean) => {
          setArrayPoolEnabled(reuse);
          const live: tf.Tensor2D[] = [tf.randomUniform([16, 16], -1, 1, 'float32', seed) as tf.Tensor2D];
          const kept: Float32Array[] = [];
          const results: number[][] = [];
          for (const [op, pick, drop] of script) {
            const x = live[pick % live.length];
            const y = live[(pick * 7 + 3) % live.length];
            let out: tf.Tensor2D;
            if (op === 'mul') out = tf.mul(x, y);
            else if (op === 'add') out = tf.add(x, y);
            else if (op === 'relu') out = tf.relu(x);
            else if (op === 'sum') out = tf.tile(tf.sum(x, 0, true), [16, 1]) as tf.Tensor2D;
            else if (op === 'matmul') out = tf.div(tf.matMul(x, y), 16);
            else if (op === 'slice') out = tf.concat([tf.slice(x, [0, 0], [8, 16]), tf.slice(y, [8, 0], [8, 16])]) as tf.Tensor2D;
            else {
              kept.push(x.dataSync() as Float32Array);
              continue;
            }
            live.push(out);
            if (drop && live.length > 2) live.splice(pick % (live.length - 1), 1)[0].dispose();
          }
          for (const t of live) results.push(Array.from(t.dataSync()));
          // What was read out earlier is as it was read, whatever ran since.
          results.push(...kept.map((k) => Array.from(k)));
          tf.dispose(live);
          return results;
        };
        const plain = run(false);
        const pooled = run(true);
        expect(pooled).toEqual(plain);
      }),
      { numRuns: 60, seed: 20261129 },
    );
  });
});
