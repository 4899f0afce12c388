// CDG gates on top of SyncCP masks: a meaningful combination (activation sparsity over a
// weight-sparse network), so the config allows it. Both methods must act: the masks reach
// their scheduled density, the gates their joint density, masked weights do not matter to
// the gated forward, and the FLOPs count both savings.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { prunableConvs } from '../../../src/engine/nn/resnet';
import type { StepPlugin } from '../../../src/engine/plugin';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 2, trainCount: 64, testCount: 32 });

type Row = {
  density: Record<string, { online: number; target: number }>;
  gateDensity: Record<string, { online: number; target: number }>;
  flops: { dense: number; effective: number };
};

async function endRow(overrides: Record<string, unknown>): Promise<{ t: Trainer; row: Row }> {
  // Schedules end at half the run, so the last steps are at the end state.
  const t = new Trainer(
    buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 16, ...overrides } }),
    dataset,
  );
  let r = await t.trainStep();
  for (let i = 1; i < 16; i++) r = await t.trainStep();
  return { t, row: t.row(r) as Row };
}

describe('CDG on top of SyncCP', () => {
  it('masks and gates both reach their end state; FLOPs count both; masked weights do not change the gated features', async () => {
    const before = tf.memory().numTensors;
    const both = await endRow({
      syncp: { granularity: 'unstructured', density: 0.2, gap: 0.3, schedule: { start: 0.1, end: 0.5, every: 0.1 } },
      cdg: { beta: 0.25, density: 0.4, schedule: { start: 0.05, end: 0.5, every: 0.05 } },
    });
    const convs = prunableConvs(both.t.spec.encoder);
    for (const c of convs) {
      // SyncCP's end state: online keeps 0.2 of each layer, target 0.5 (exact counts, rounded).
      expect(both.row.density[c.name].online).toBeCloseTo(0.2, 2);
      expect(both.row.density[c.name].target).toBeCloseTo(0.5, 2);
      // CDG's end state: joint gate density 0.4 over both roles, within one location's share.
      const g = both.row.gateDensity[c.name];
      expect(Math.abs((g.online + g.target) / 2 - 0.4)).toBeLessThanOrEqual(1 / (4 * 8 * c.outH * c.outW) + 1e-6);
    }
    const masksOnly = await endRow({ syncp: { granularity: 'unstructured', density: 0.2, gap: 0.3, schedule: { start: 0.1, end: 0.5, every: 0.1 } } });
    expect(both.row.flops.dense).toBe(masksOnly.row.flops.dense);
    expect(both.row.flops.effective).toBeLessThan(masksOnly.row.flops.effective);
    masksOnly.t.dispose();

    // Perturb weights the online mask removes: the online (gated, masked) features stay the same.
    const t = both.t;
    const [masks] = await t.plugins[0].exportMasks!();
    const idx = [0, 1, 2, 3, 4, 5, 6, 7];
    const features = async () => {
      const f = t.features(t.dataset.test, idx);
      const a = await f.array();
      f.dispose();
      return a;
    };
    const f0 = await features();
    const w = t.online.vars[masks.name];
    tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.sub(1, tf.tensor(masks.online, masks.shape as [number, number, number, number], 'float32')), 5))));
    const f1 = await features();
    expect(f1).toEqual(f0);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('plugin composition', () => {
  it('two plugins that both replace the convolution (or both mask the update) are refused when the run is built', async () => {
    const { checkComposable } = await import('../../../src/engine/plugins');
    const a = { name: 'a', convHook: () => undefined, dispose: () => undefined };
    const b = { name: 'b', convHook: () => undefined, dispose: () => undefined };
    const c = { name: 'c', updateMask: () => undefined, dispose: () => undefined };
    expect(() => checkComposable([a, c])).not.toThrow();
    expect(() => checkComposable([a, b])).toThrow(/a and b both provide convHook: only one sparsifier may replace the convolution/);
    expect(() => checkComposable([c, { ...c, name: 'd' }])).toThrow(/c and d both provide updateMask/);
  });

  it('two plugins masking the same layer are refused when the run is built; masks on different layers combine', async () => {
    const { checkComposable } = await import('../../../src/engine/plugins');
    const m = tf.ones([1]);
    const masking = (name: string, layers: string[], roles: string[] = ['online', 'target']) => ({
      name,
      masks: (role: string) => (roles.includes(role) ? Object.fromEntries(layers.map((l) => [l, m])) : undefined),
      dispose: () => undefined,
    });
    expect(() => checkComposable([masking('a', ['s1.conv1']), masking('b', ['s2.conv1'])])).not.toThrow();
    expect(() => checkComposable([masking('a', ['s1.conv1', 's2.conv1']), masking('b', ['s2.conv1'])])).toThrow(/a and b both give the mask layer "s2.conv1"/);
    // The same layer masked for different roles still has two owners in a method that runs both roles.
    expect(() => checkComposable([masking('a', ['x'], ['first']), masking('b', ['x'], ['second'])])).not.toThrow();
    expect(() => checkComposable([masking('a', ['x'], ['first', 'second']), masking('b', ['x'], ['second'])])).toThrow(/a and b both give the mask layer "x"/);
    m.dispose();
  });

  it('a metric name read back twice, or a row field reported twice (or one the trainer writes), is an error naming both plugins, and leaks nothing', async () => {
    const t = new Trainer(buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 4 } }), dataset);
    const plugins = t.plugins as StepPlugin[];
    const r = await t.trainStep();
    // After the first step: the optimizer's moments exist from then on.
    const before = tf.memory().numTensors;
    // A second plugin that reports SyncCP's field: the row would keep only one of them.
    plugins.push({ name: 'echo', report: () => ({ density: {} }), dispose: () => undefined });
    expect(() => t.row(r)).toThrow(/syncp and echo both give the row field "density"/);
    plugins.pop();
    plugins.push({ name: 'liar', report: () => ({ loss: 0 }) as never, dispose: () => undefined });
    expect(() => t.row(r)).toThrow(/the trainer and liar both give the row field "loss"/);
    plugins.pop();
    // A metric under SyncCP's name: the step is refused before anything is applied.
    plugins.push({ name: 'copy', metrics: () => ({ 'syncp.density': tf.zeros([2]) }), dispose: () => undefined });
    await expect(t.trainStep()).rejects.toThrow(/syncp and copy both give the metric "syncp.density"/);
    plugins.pop();
    expect(t.step).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // Without the intruders the run goes on.
    await t.trainStep();
    expect(t.step).toBe(2);
    t.dispose();
  });
});

describe('the CDG panel\'s skipped FLOPs beside SyncCP', () => {
  const cdgSnapshot = async (t: Trainer) => {
    const p = t.plugins.find((x) => x.name === 'cdg')!;
    return (await p.snapshot!()) as import('../../../src/engine/sparsity/cdg').CDGSnapshot;
  };
  it('are the gates\' saving only: 0 while every gate is open, though SyncCP\'s random start already prunes half the weights', async () => {
    const t = new Trainer(
      buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 16, syncp: { initialDensity: 0.5, density: 0.2 }, cdg: { beta: 0.25, density: 0.4, schedule: { start: 0.5, end: 0.9, every: 0.1 } } } }),
      dataset,
    );
    const s = await cdgSnapshot(t);
    for (const l of s.layers) {
      expect(l.gateDensity, l.name).toEqual({ online: 1, target: 1 });
      expect(l.flops.skipped, l.name).toBe(0);
    }
    expect(s.flops.effective).toBeLessThan(0.8 * s.flops.dense); // the pruned weights (ERK leaves a 1×1 shortcut dense)
    expect(s.flops.skipped).toBe(0);
    t.dispose();
  });

  it('without SyncCP are dense − effective, the gates being the only saving', async () => {
    const t = new Trainer(buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 8 } }), dataset);
    for (let i = 0; i < 8; i++) await t.trainStep();
    const s = await cdgSnapshot(t);
    for (const l of s.layers) expect(l.flops.skipped, l.name).toBeCloseTo(l.flops.dense - l.flops.effective, 3);
    expect(s.flops.skipped).toBeGreaterThan(0);
    t.dispose();
  });
});
