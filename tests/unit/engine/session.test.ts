// RunSession: the run loop shared by the CLI and the worker — which rows are logged, the
// step-0 baseline row, and the raw-pixel kNN against hand-built data whose answer is known.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import type { Dataset, ImageSplit } from '../../../src/engine/data/types';
import { parseRunFile } from '../../../src/engine/runFile';
import { RunSession } from '../../../src/engine/session';

const shapes = await loadDataset('shapes', { seed: 4, trainCount: 40, testCount: 20 });

/** 8×8 grayscale images: class 0 bright on the left half, class 1 on the right (labels optionally shuffled). */
function halves(count: number, labelOf: (i: number) => number): ImageSplit {
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const cls = i % 2;
    labels[i] = labelOf(i);
    // Lit pixels vary a lot between images (a fixed hash of i, x, y), so cosine similarities
    // within a half are well apart and float32 cannot reorder neighbours.
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) images[i * 64 + y * 8 + x] = (cls === 0 ? x < 4 : x >= 4) ? 40 + ((i * 2654435761 + x * 97 + y * 31) >>> 0) % 216 : 0;
  }
  return { images, labels, count };
}

function halvesDataset(labelOf: (i: number) => number): Dataset {
  return { name: 'shapes', height: 8, width: 8, channels: 1, classNames: ['left', 'right'], train: halves(40, labelOf), test: halves(20, labelOf) };
}

describe('RunSession', () => {
  it('logs the step-0 baseline row, then every logEvery-th step, the first, every kNN step and the last', async () => {
    const config = buildConfig({ tiny: true, overrides: { steps: 7, eval: { logEvery: 2, knnEvery: 3 } } });
    const s = new RunSession(config, shapes);
    const b = await s.measureBaselines();
    expect(b.untrained).toBeGreaterThanOrEqual(0);
    expect(b.untrained).toBeLessThanOrEqual(1);
    expect(s.history).toEqual([{ step: 0, knn: b.untrained }]);
    const knnSteps: number[] = [];
    while (!s.done) {
      const r = await s.trainStep();
      if (r.knn !== undefined) knnSteps.push(r.result.step);
    }
    // By hand: step % 2 == 0 → 2, 4, 6; kNN at 3, 6 and the last (7); the first step (1).
    expect(s.history.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(knnSteps).toEqual([3, 6, 7]);
    await expect(s.measureBaselines()).rejects.toThrow(/before the first step/);
    // run.json carries the baselines and the history, and reads back.
    const file = parseRunFile(JSON.stringify(await s.runFile({ backend: 'cpu', adapter: 'test' })));
    expect(file.baselines).toEqual(b);
    expect(file.history.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    s.dispose();
  });

  it('thins older logged rows past its cap, keeping every kNN row, the first and the newest', async () => {
    // 40 steps logged each, kNN every 5: 41 rows against a cap of 12 (MAX_HISTORY_ROWS is
    // 20 000; a long run reaches it). The kNN rows alone are 9, so 3 others are left.
    const config = buildConfig({ tiny: true, overrides: { steps: 40, eval: { logEvery: 1, knnEvery: 5 } } });
    const s = new RunSession(config, shapes, 12);
    await s.measureBaselines();
    let knnRows = 0;
    while (!s.done) {
      await s.trainStep();
      expect(s.history.length).toBeLessThanOrEqual(12);
      knnRows = s.history.filter((r) => r.knn !== undefined).length;
    }
    const steps = s.history.map((r) => r.step);
    expect(steps.filter((t) => t % 5 === 0)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40]);
    expect(knnRows).toBe(9);
    expect(steps[0]).toBe(0);
    expect(steps.at(-1)).toBe(40);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    s.dispose();
  });

  it('raw-pixel kNN is 1 when the pixels separate the classes, and at chance when labels ignore the pixels', async () => {
    const before = tf.memory().numTensors;
    const config = buildConfig({ tiny: true, overrides: { steps: 1, data: { imageSize: 0 }, eval: { knnK: 5 } } });
    const separable = new RunSession(config, halvesDataset((i) => i % 2));
    // Same class: cosine ≈ 1 (same half lit); other class: cosine 0 (disjoint halves).
    expect(await separable.trainer.rawPixelKnn()).toBe(1);
    separable.dispose();
    // Labels by i % 4 < 2 are independent of the lit half: the answer is what a plain cosine
    // kNN over the flattened pixels says (a reference written here, not the engine's).
    const ds = halvesDataset((i) => (i % 4 < 2 ? 0 : 1));
    const unrelated = new RunSession(config, ds);
    expect(await unrelated.trainer.rawPixelKnn()).toBeCloseTo(referenceKnn(ds, 5, config.eval.knnTemperature), 10);
    unrelated.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

function referenceKnn(ds: Dataset, k: number, temperature: number): number {
  const per = ds.height * ds.width * ds.channels;
  const vec = (split: ImageSplit, i: number) => Array.from(split.images.subarray(i * per, (i + 1) * per), (v) => v / 255);
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / (n + 1e-12));
  };
  const bank = Array.from({ length: ds.train.count }, (_, j) => unit(vec(ds.train, j)));
  let correct = 0;
  for (let q = 0; q < ds.test.count; q++) {
    const u = unit(vec(ds.test, q));
    const sims = bank.map((b, j) => ({ j, s: b.reduce((a, x, d) => a + x * u[d], 0) })).sort((a, b) => b.s - a.s || a.j - b.j);
    const votes = new Array(ds.classNames.length).fill(0);
    for (const { j, s } of sims.slice(0, k)) votes[ds.train.labels[j]] += Math.exp(s / temperature);
    if (votes.indexOf(Math.max(...votes)) === ds.test.labels[q]) correct++;
  }
  return correct / ds.test.count;
}
