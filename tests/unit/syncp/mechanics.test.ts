// What the masks do to training: a branch's output ignores the weights its mask removes,
// masked weights keep their values across optimizer steps (no gradient, no decay), the
// SimCLR denser branch alone trains the entries only it keeps, and GraNet regrowth
// swaps weights without changing the kept count, starting regrown weights at 0.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/engine/random';
import type { Trainer } from '../../../src/engine/trainer';
import { byName, count, dataset, isSubset, run, size, syncp, tinyTrainer } from './helpers';

const STEPS = 20; // window: start round(0.1·20)=2, end round(0.7·20)=14, every max(1, round(0.05·20))=1

function readVar(t: Trainer, name: string): Float32Array {
  return t.online.vars[name].dataSync() as Float32Array;
}

async function features(t: Trainer): Promise<Float32Array> {
  const f = t.features(dataset.test, Array.from({ length: 16 }, (_, i) => i));
  const v = (await f.data()) as Float32Array;
  f.dispose();
  return v;
}

describe('SyncCP effective weights', () => {
  it('BYOL online: output invariant to masked entries of W; masked entries frozen across steps', async () => {
    const t = tinyTrainer('syncp-unstructured', {}, STEPS);
    await run(t, 16); // past the last update (step 14): the masks no longer change
    const masks = await syncp(t).exportMasks();
    const f1 = await features(t);

    // Write arbitrary values where the online mask is 0.
    const rng = new Rng(42);
    for (const m of masks) {
      const w = readVar(t, m.name).slice();
      for (let i = 0; i < w.length; i++) if (!m.online[i]) w[i] = rng.uniform(-1, 1) * 10;
      t.online.vars[m.name].assign(tf.tensor(w, m.shape));
    }
    const f2 = await features(t);
    let maxDiff = 0;
    for (let i = 0; i < f1.length; i++) maxDiff = Math.max(maxDiff, Math.abs(f1[i] - f2[i]));
    expect(maxDiff).toBe(0);

    const before = new Map(masks.map((m) => [m.name, readVar(t, m.name).slice()]));
    await run(t, 2);
    for (const m of masks) {
      const b = before.get(m.name)!;
      const a = readVar(t, m.name);
      let keptMoved = 0;
      for (let i = 0; i < a.length; i++) {
        if (!m.online[i]) expect(a[i], `${m.name}[${i}]`).toBe(b[i]);
        else if (a[i] !== b[i]) keptMoved++;
      }
      expect(keptMoved, `${m.name}: kept weights train`).toBeGreaterThan(0);
    }
    t.dispose();
  });

  it('SimCLR: entries masked in both branches are frozen; entries only the denser branch keeps still train', async () => {
    const t = tinyTrainer('syncp-unstructured', { ssl: { method: 'simclr' } }, STEPS);
    await run(t, 16);
    const masks = await syncp(t).exportMasks();
    const before = new Map(masks.map((m) => [m.name, readVar(t, m.name).slice()]));
    await run(t, 2);
    for (const m of masks) {
      const n = size(m.shape);
      expect(count(m.online)).toBe(Math.round(0.2 * n));
      expect(count(m.target)).toBe(Math.round(0.5 * n));
      expect(isSubset(m.online, m.target)).toBe(true);
      const b = before.get(m.name)!;
      const a = readVar(t, m.name);
      let targetOnlyMoved = 0;
      for (let i = 0; i < a.length; i++) {
        if (!m.target[i]) expect(a[i], `${m.name}[${i}]`).toBe(b[i]);
        else if (!m.online[i] && a[i] !== b[i]) targetOnlyMoved++;
      }
      expect(targetOnlyMoved, m.name).toBeGreaterThan(0);
    }
    t.dispose();
  });
});

describe('SyncCP regrowth (GraNet)', () => {
  it('drops the smallest kept |W|, regrows as many elsewhere at 0, the kept count unchanged; no leaks', async () => {
    const t = tinyTrainer('syncp-unstructured', { syncp: { regrowth: { enabled: true, rate: 0.5 } } }, STEPS);
    const p = syncp(t);
    await run(t, 6); // steps 0..5 done; step 6 is an update step with gradients stashed at step 5
    const step = 6;
    const d = 0.2 + (1 - 0.2) * Math.pow(1 - (step - 2) / (14 - 2), 3);
    const r = 0.5 * 0.5 * (1 + Math.cos((Math.PI * (step - 2)) / (14 - 2)));
    const names = p.layerNames();
    const wBefore = new Map(names.map((n) => [n, readVar(t, n).slice()]));

    await p.prepareStep(step); // the trainer's own call at step 6 is then a no-op
    const masks = byName(await p.exportMasks());
    let swappedTotal = 0;
    for (const name of names) {
      const w = wBefore.get(name)!;
      const n = w.length;
      const kept = Math.round(d * n);
      // Pure magnitude mask at this step, by hand: top `kept` |W| (values are distinct floats).
      const order = Array.from(w.keys()).sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]));
      const mag = new Uint8Array(n);
      for (const i of order.slice(0, kept)) mag[i] = 1;
      const m = masks.get(name)!;
      expect(count(m.online), name).toBe(kept);
      const dropped: number[] = [];
      const grown: number[] = [];
      for (let i = 0; i < n; i++) {
        if (mag[i] && !m.online[i]) dropped.push(i);
        if (!mag[i] && m.online[i]) grown.push(i);
      }
      const k = Math.round(r * kept);
      expect(dropped.length, name).toBe(k);
      expect(grown.length, name).toBe(k);
      swappedTotal += k;
      // The dropped ones are the smallest |W| of the magnitude mask.
      let minStay = Infinity;
      for (let i = 0; i < n; i++) if (mag[i] && m.online[i]) minStay = Math.min(minStay, Math.abs(w[i]));
      for (const i of dropped) expect(Math.abs(w[i])).toBeLessThanOrEqual(minStay);
      // Regrown weights start at 0.
      const now = readVar(t, name);
      for (const i of grown) expect(now[i], `${name}[${i}]`).toBe(0);
      // The shared-score target stays nested and at its planned count.
      expect(isSubset(m.online, m.target), name).toBe(true);
      expect(count(m.target), name).toBe(Math.round(Math.min(1, d + 0.3) * n));
    }
    expect(swappedTotal).toBeGreaterThan(0);

    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      await t.trainStep();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    t.dispose();
  });
});
