// GraNet regrowth as the papers define it, in a real run: what a regrowth update zeroes
// and what it keeps (expectations from the masks before and after, by hand), Adam moments
// of weights that come back restart at 0 (checked by the first-step invariant
// m²/v = (1−β1)²/(1−β2), which stale moments break), and SimCLR's regrowth gradient lets
// each branch compute with its own mask (a property over perturbed weights).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Trainer } from '../../../src/engine/trainer';
import { byName, run, syncp, tinyTrainer } from './helpers';

const STEPS = 20; // window: start 2, end 14, every 1

function readVar(t: Trainer, name: string): Float32Array {
  return (t.online.vars[name].dataSync() as Float32Array).slice();
}

describe('SyncCP regrowth: zeroing and moments', () => {
  it('a random start with regrowth prunes to 0 (GraNet): weights outside both start masks are 0 before the first step; without regrowth (the reference code) they keep their values', async () => {
    for (const regrowth of [true, false]) {
      for (const scores of ['shared', 'per-branch'] as const) {
        const t = tinyTrainer('syncp-unstructured', { syncp: { initialDensity: 0.5, scores, regrowth: { enabled: regrowth, rate: 0.3 } } }, STEPS);
        const masks = byName(await syncp(t).exportMasks());
        let outside = 0;
        let outsideNonZero = 0;
        let insideNonZero = 0;
        for (const [name, m] of masks) {
          const wo = readVar(t, name);
          const wt = scores === 'per-branch' ? (t.target!.vars[name].dataSync() as Float32Array) : undefined;
          for (let i = 0; i < wo.length; i++) {
            if (m.online[i] || m.target[i]) {
              if (wo[i] !== 0) insideNonZero++;
            } else {
              outside++;
              if (wo[i] !== 0 || (wt && wt[i] !== 0)) outsideNonZero++;
            }
          }
        }
        const what = `regrowth ${regrowth}, ${scores} scores`;
        expect(outside, what).toBeGreaterThan(0);
        expect(insideNonZero, what).toBeGreaterThan(0);
        if (regrowth) expect(outsideNonZero, what).toBe(0);
        else expect(outsideNonZero, what).toBeGreaterThan(0.9 * outside);
        t.dispose();
      }
    }
  });

  it('per-branch scores (BYOL): a weight that left both masks is zeroed in the target network too, so the target’s own ranking cannot revive it at its old value', async () => {
    const t = tinyTrainer('syncp-unstructured', { syncp: { scores: 'per-branch', regrowth: { enabled: true, rate: 0.5 } } }, STEPS);
    const p = syncp(t);
    await run(t, 6);
    const names = p.layerNames();
    const before = byName(await p.exportMasks());
    const targetBefore = new Map(names.map((n) => [n, (t.target!.vars[n].dataSync() as Float32Array).slice()]));
    await p.prepareStep(6);
    const after = byName(await p.exportMasks());
    let leftBoth = 0;
    let keptByTarget = 0;
    for (const name of names) {
      const b = before.get(name)!;
      const a = after.get(name)!;
      const wt = t.target!.vars[name].dataSync();
      const wo = readVar(t, name);
      const w0 = targetBefore.get(name)!;
      for (let i = 0; i < wo.length; i++) {
        if ((b.online[i] || b.target[i]) && !(a.online[i] || a.target[i])) {
          leftBoth++;
          expect(wo[i], `${name}[${i}] online`).toBe(0);
          expect(wt[i], `${name}[${i}] target`).toBe(0);
        } else if (a.target[i]) {
          // Still in the target mask (grown into the online one, say): the target keeps its value.
          keptByTarget++;
          expect(wt[i], `${name}[${i}] kept by the target`).toBe(w0[i]);
        }
      }
    }
    expect(leftBoth).toBeGreaterThan(0);
    expect(keptByTarget).toBeGreaterThan(0);
    t.dispose();
  });

  it('zeroes weights that left both masks, keeps those only the online mask dropped, and restarts moments of weights that came back', async () => {
    const t = tinyTrainer('syncp-unstructured', { syncp: { regrowth: { enabled: true, rate: 0.5 } } }, STEPS);
    const p = syncp(t);
    await run(t, 6); // step 6 is an update step with gradients stashed at step 5
    const names = p.layerNames();
    const before = byName(await p.exportMasks());
    const wBefore = new Map(names.map((n) => [n, readVar(t, n)]));
    const state = t.stateTensors();
    const mBefore = new Map(names.map((n) => [n, (state[`adam.m.${n}`].dataSync() as Float32Array).slice()]));

    await p.prepareStep(6);
    const after = byName(await p.exportMasks());
    // The magnitude mask of step 6 by hand (shared scores |W|, distinct floats): what regrowth started from.
    const d = 0.2 + (1 - 0.2) * Math.pow(1 - (6 - 2) / (14 - 2), 3);
    const magnitude = (w: Float32Array) => {
      const keep = new Uint8Array(w.length);
      for (const i of Array.from(w.keys()).sort((x, y) => Math.abs(w[y]) - Math.abs(w[x])).slice(0, Math.round(d * w.length))) keep[i] = 1;
      return keep;
    };
    let leftBoth = 0;
    let onlineOnly = 0;
    let cameBack = 0;
    const magnitudes = new Map(names.map((n) => [n, magnitude(wBefore.get(n)!)]));
    let staleBefore = 0;
    for (const name of names) {
      const b = before.get(name)!;
      const a = after.get(name)!;
      const w0 = wBefore.get(name)!;
      const w1 = readVar(t, name);
      const mag = magnitude(w0);
      for (let i = 0; i < w0.length; i++) {
        const wasKept = b.online[i] || b.target[i];
        const isKept = a.online[i] || a.target[i];
        const grown = a.online[i] === 1 && !mag[i];
        if (grown) {
          expect(w1[i], `${name}[${i}] grown`).toBe(0);
        } else if (wasKept && !isKept) {
          leftBoth++;
          expect(w1[i], `${name}[${i}] left both masks`).toBe(0);
        } else if (b.online[i] && !a.online[i] && a.target[i]) {
          onlineOnly++;
          expect(w1[i], `${name}[${i}] left the online mask only`).toBe(w0[i]);
        } else {
          expect(w1[i], `${name}[${i}] untouched`).toBe(w0[i]);
        }
        // BYOL: the update mask is the online mask; a weight entering it, or grown, comes back.
        if (grown || (!b.online[i] && a.online[i])) {
          cameBack++;
          if (mBefore.get(name)![i] !== 0) staleBefore++;
        }
      }
    }
    expect(leftBoth).toBeGreaterThan(0);
    expect(onlineOnly).toBeGreaterThan(0);
    expect(staleBefore).toBeGreaterThan(0); // some came back with moments from before they were pruned

    // The step itself: moments of the weights that came back are one step old from zero,
    // so m = (1−β1)·g and v = (1−β2)·g², hence m²/v = 0.1² / 0.001 = 10 wherever g ≠ 0.
    await t.trainStep();
    const s2 = t.stateTensors();
    let checked = 0;
    for (const name of names) {
      const b = before.get(name)!;
      const a = after.get(name)!;
      const m = s2[`adam.m.${name}`].dataSync();
      const v = s2[`adam.v.${name}`].dataSync();
      for (let i = 0; i < m.length; i++) {
        const cameBackHere = a.online[i] === 1 && (!b.online[i] || !magnitudes.get(name)![i]);
        if (!cameBackHere || v[i] < 1e-20) continue;
        expect((m[i] * m[i]) / v[i], `${name}[${i}]`).toBeCloseTo(10, 2);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(cameBack / 2);
    t.dispose();
  });
});

type WithEffectiveGradients = { effectiveGradients(v1: tf.Tensor4D, v2: tf.Tensor4D, names: string[]): Record<string, tf.Tensor> };

describe('effective gradients of some layers', () => {
  it('are those of the masked network: one layer asked for alone equals its entry when all are asked for', async () => {
    const t = tinyTrainer('syncp-unstructured', { syncp: { density: 0.2, schedule: { start: 0, end: 0.3, every: 0.1 } } }, STEPS);
    await run(t, 6);
    const names = syncp(t).layerNames();
    const [v1, v2] = t.views(6);
    const eg = (ns: string[]) => (t as unknown as WithEffectiveGradients).effectiveGradients(v1, v2, ns);
    const all = eg(names);
    for (const name of [names[1], names[names.length - 1]]) {
      const one = eg([name]);
      const [a, b] = [one[name].dataSync(), all[name].dataSync()];
      const scale = Math.max(1e-12, ...Array.from(b, Math.abs));
      // Before, the other convs ran dense: differences as large as the gradients themselves.
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]) / scale).toBeLessThan(1e-5);
      tf.dispose(one);
    }
    tf.dispose([all, v1, v2]);
    t.dispose();
  });
});

describe('SimCLR regrowth gradient', () => {
  it('each branch computes with its own mask: the gradient depends on weights only the denser mask keeps, never on weights both masks prune', async () => {
    const t = tinyTrainer('syncp-unstructured', { ssl: { method: 'simclr' }, syncp: { regrowth: { enabled: true, rate: 0.3 } } }, STEPS);
    await run(t, 8);
    const p = syncp(t);
    const name = p.layerNames()[1];
    const m = byName(await p.exportMasks()).get(name)!;
    const w = t.online.vars[name];
    const w0 = readVar(t, name);
    const [v1, v2] = t.views(8);
    const grad = () => {
      const g = (t as unknown as WithEffectiveGradients).effectiveGradients(v1, v2, [name]);
      const out = g[name].dataSync().slice();
      tf.dispose(g);
      return out;
    };
    const withChange = (pick: (i: number) => boolean) => {
      w.assign(tf.tensor(w0.map((x, i) => (pick(i) ? x + 0.5 : x)), w.shape));
      const g = grad();
      w.assign(tf.tensor(w0, w.shape));
      return g;
    };
    const g0 = grad();
    const targetOnly = (i: number) => !m.online[i] && m.target[i] === 1;
    const prunedInBoth = (i: number) => !m.online[i] && !m.target[i];
    expect(w0.some((_, i) => targetOnly(i))).toBe(true);
    expect(w0.some((_, i) => prunedInBoth(i))).toBe(true);
    // Both masks prune these: no branch computes with them.
    expect(Array.from(withChange(prunedInBoth))).toEqual(Array.from(g0));
    // Only the denser (second) branch computes with these: the gradient must see them.
    const g1 = withChange(targetOnly);
    const diff = Math.max(...Array.from(g1, (x, i) => Math.abs(x - g0[i])));
    expect(diff).toBeGreaterThan(1e-6);
    // There is a signal to regrow from at the online mask's pruned positions.
    expect(Array.from(g0).some((x, i) => !m.online[i] && x !== 0)).toBe(true);
    tf.dispose([v1, v2]);
    t.dispose();
  });

  it('the gradient pass a regrowth update needs is counted in the FLOPs of the step that runs it', async () => {
    const t = tinyTrainer('syncp-unstructured', { syncp: { regrowth: { enabled: true, rate: 0.5 } } }, STEPS);
    const steps = [];
    for (let i = 0; i < 4; i++) steps.push(await t.trainStep());
    // Updates at every step of [2, 14] with a rate that decays to 0 at 14: the step before
    // each runs the pass (steps 1, 2, 3 here), step 0 does not.
    expect(steps.map((r) => r.gradientPasses?.length ?? 0)).toEqual([0, 1, 1, 1]);
    const names = steps[1].gradientPasses![0];
    expect(names).toEqual(syncp(t).layerNames());
    expect(names).not.toContain('stem.conv');
    // Step 1 runs before the first update: every mask is still dense, so the pass is a whole
    // training step (the loss again: online branches forward and input gradients, the
    // target's forward) but for the weight gradients it does not take: the stem's and the
    // heads' (projector 16→64→32 and predictor 32→32→32, per online branch). By hand, per image:
    const { stem, projector: pr, predictor: pd } = { ...t.spec, stem: t.spec.encoder.stem };
    const stemMacs = stem.inH * stem.inW * stem.kh * stem.kw * stem.cin * stem.cout; // stride 1, 'same'
    const headMacs = pr.inDim * pr.hidden + pr.hidden * pr.outDim + pd!.inDim * pd!.hidden + pd!.hidden * pd!.outDim;
    expect([stemMacs, headMacs]).toEqual([16 * 16 * 9 * 3 * 8, 16 * 64 + 64 * 32 + 32 * 32 + 32 * 32]);
    const row = t.row(steps[1]).flops;
    const without = t.flops(steps[1].metrics);
    const onlineBranches = 2;
    const batch = 8;
    expect(row.dense).toBe(without.dense);
    expect(without.effective).toBe(without.dense);
    // Nor the input gradients of the convs that read the stem's output (the first block's conv1
    // and shortcut): the pass asks for the named convs' weights only, and nothing named lies
    // before them, so tfjs runs no Conv2DBackpropInput there.
    const first = t.spec.encoder.blocks[0];
    const macs = (c: { outH: number; outW: number; kh: number; kw: number; cin: number; cout: number }) => c.outH * c.outW * c.kh * c.kw * c.cin * c.cout;
    const stemReaders = macs(first.conv1) + (first.shortcut ? macs(first.shortcut) : 0);
    expect(first.shortcut).toBeDefined(); // 8 → 16 channels with stride 2: a 1×1 shortcut
    expect(row.effective - without.effective).toBe(without.dense - onlineBranches * 2 * batch * (stemMacs + headMacs + stemReaders));
    t.dispose();
  });
});
