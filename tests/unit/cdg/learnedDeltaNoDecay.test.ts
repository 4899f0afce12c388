// CDG's learned thresholds Δ get no weight decay: decay would pull each threshold toward 0
// and open gates against the density penalty that sets it. Checked on the names the trainer
// really hands its optimizer, and on AdamW's step: with a zero gradient a Δ keeps its value,
// while a conv kernel shrinks by lr · decay · w (AdamW's decoupled decay, by hand).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { isNoDecay } from '../../../src/engine/nn/heads';
import { AdamW } from '../../../src/engine/optim';
import { Trainer } from '../../../src/engine/trainer';

describe('CDG learned threshold and weight decay', () => {
  it('every Δ the trainer optimizes is exempt, every conv kernel is not; a Δ with no gradient keeps its value', async () => {
    const ds = await loadDataset('shapes', { seed: 2, trainCount: 32, testCount: 16 });
    const t = new Trainer(buildConfig({ preset: 'cdg', tiny: true, overrides: { cdg: { threshold: 'learned' } } }), ds);
    const names = Object.keys((t as unknown as { trainableVars(): Record<string, tf.Variable> }).trainableVars());
    const deltas = names.filter((n) => n.startsWith('cdg.'));
    expect(deltas.length).toBeGreaterThan(0);
    for (const n of deltas) expect(isNoDecay(n), n).toBe(true);
    const convs = names.filter((n) => /(^|\.)conv\d*$/.test(n));
    expect(convs).toContain('stem.conv');
    expect(convs.length).toBeGreaterThan(2);
    for (const n of convs) expect(isNoDecay(n), n).toBe(false);
    t.dispose();

    const before = tf.memory().numTensors;
    const opt = new AdamW({ weightDecay: 0.5 });
    const vars = tf.tidy(() => ({ [deltas[0]]: tf.variable(tf.scalar(0.3)), 's1.b0.conv1': tf.variable(tf.fill([1, 1, 1, 2], 2)) })); // tidy: the initial values
    const grads = { [deltas[0]]: tf.scalar(0), 's1.b0.conv1': tf.zeros([1, 1, 1, 2]) };
    opt.apply(vars, grads, 0.1, undefined, isNoDecay);
    expect((await vars[deltas[0]].data())[0]).toBeCloseTo(0.3, 7);
    for (const w of await vars['s1.b0.conv1'].data()) expect(w).toBeCloseTo(2 - 0.1 * 0.5 * 2, 6);
    tf.dispose([...Object.values(vars), ...Object.values(grads)]);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
