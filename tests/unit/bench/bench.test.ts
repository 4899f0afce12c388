// npm run bench's engine (src/engine/bench.ts) on tiny cpu runs of two presets and two
// rounds: row fields, ratios against the dense preset, FLOPs ratios against a hand count
// from the layer shapes, and the end-state densities read back.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchConfig, runBench, stateStartStep, upsertSection, withDenseCounterparts, type BenchRow } from '../../../src/engine/bench';
import { loadDataset } from '../../../src/engine/data';
import { scheduleOf } from '../../../src/engine/sparsity/scheduleOf';

const config = benchConfig('syncp-unstructured', true);
const dataset = await loadDataset('shapes', { seed: config.seed, trainCount: config.data.trainCount, testCount: config.data.testCount });

/** MACs of one image through a conv with 'same' padding: H_out·W_out·kh·kw·C_in·C_out. */
function convMacs(k: number, cin: number, cout: number, inSide: number, stride: number): number {
  const out = Math.ceil(inSide / stride);
  return out * out * k * k * cin * cout;
}

describe('runBench (tiny, cpu)', () => {
  it('byol-dense + syncp-unstructured at the end state: fields, ratio 1 for dense, FLOPs ratio by hand, densities 0.2/0.5', async () => {
    const before = tf.memory().numTensors;
    const rows = await runBench({ presets: ['syncp-unstructured'], tiny: true, states: ['end'], rounds: 2, warmup: 1, dataset });
    expect(tf.memory().numTensors).toBe(before); // trainers disposed
    expect(rows.map((r) => r.preset)).toEqual(['byol-dense', 'syncp-unstructured']); // the dense counterpart is added
    const [dense, sparse] = rows as [BenchRow, BenchRow];
    for (const r of rows) {
      expect(r).toMatchObject({ backend: 'cpu', size: 'tiny', state: 'end', steps: 2, dense: 'byol-dense' });
      expect(r.msPerStep).toBeGreaterThan(0);
      expect(r.p25Ms).toBeLessThanOrEqual(r.msPerStep);
      expect(r.p75Ms).toBeGreaterThanOrEqual(r.msPerStep);
      expect(r.imagesPerSec).toBeCloseTo(8 / (r.msPerStep / 1000), 6); // batch 8 at --tiny
      expect(r.gflopsPerSec).toBeCloseTo(r.flops.effective / (r.msPerStep / 1000) / 1e9, 9);
      expect(r.memory.tensorGrowth).toBe(0);
      expect(r.memory.tensorsEnd).toBe(r.memory.tensorsStart);
    }
    expect(dense.ratioToDense).toBe(1);
    expect(dense.flopsRatio).toBe(1);
    expect(sparse.ratioToDense).toBeGreaterThan(0);
    // Started at the last update step of the schedule (tiny: 300 steps, window 0.1–0.7 → 210).
    expect(stateStartStep(config, 'end')).toBe(210);
    expect(sparse.firstStep).toBe(211);

    // Read back: every prunable conv at exactly round(d·n)/n, online 0.2 and target 0.5.
    const shapes: Record<string, number> = {
      's1.b0.conv1': 3 * 3 * 8 * 8,
      's1.b0.conv2': 3 * 3 * 8 * 8,
      's1.b0.short': 1 * 1 * 8 * 8,
      's2.b0.conv1': 3 * 3 * 8 * 16,
      's2.b0.conv2': 3 * 3 * 16 * 16,
      's2.b0.short': 1 * 1 * 8 * 16,
    };
    expect(Object.keys(sparse.density!).sort()).toEqual(Object.keys(shapes).sort());
    for (const [name, n] of Object.entries(shapes)) {
      expect(sparse.density![name].online).toBeCloseTo(Math.round(0.2 * n) / n, 6);
      expect(sparse.density![name].target).toBeCloseTo(Math.round(0.5 * n) / n, 6);
    }

    // FLOPs by hand (tiny: 16×16×3 input, widths 8/16, one block a stage, stride 2 each,
    // projector 16→64→32, BYOL predictor 32→32→32). Online: 2 views trained (3×; the stem
    // 2×: its input is the image, no input gradient); target: 2 views forward only (1×);
    // FLOPs = 2·MACs; batch 8.
    const stem = convMacs(3, 3, 8, 16, 1);
    const convs: Record<string, number> = {
      's1.b0.conv1': convMacs(3, 8, 8, 16, 2),
      's1.b0.conv2': convMacs(3, 8, 8, 8, 1),
      's1.b0.short': convMacs(1, 8, 8, 16, 2),
      's2.b0.conv1': convMacs(3, 8, 16, 8, 2),
      's2.b0.conv2': convMacs(3, 16, 16, 4, 1),
      's2.b0.short': convMacs(1, 8, 16, 8, 2),
    };
    const projector = 16 * 64 + 64 * 32;
    const predictor = 32 * 32 + 32 * 32;
    const branch = (d: number) => stem + projector + Object.entries(convs).reduce((a, [name, m]) => a + m * (Math.round(d * shapes[name]) / shapes[name]), 0);
    const online = (d: number) => 2 * 8 * 2 * (3 * (branch(d) + predictor) - stem);
    const target = (d: number) => 2 * 1 * 8 * 2 * branch(d);
    const denseFlops = online(1) + target(1);
    expect(dense.flops.dense).toBe(denseFlops);
    expect(sparse.flops.dense).toBe(denseFlops);
    // Within float32 rounding of the read-back densities (means of 0/1 masks on the device).
    expect(Math.abs(sparse.flops.effective / (online(0.2) + target(0.5)) - 1)).toBeLessThan(1e-6);
    expect(sparse.flopsRatio).toBeCloseTo((online(0.2) + target(0.5)) / denseFlops, 6);
    expect(sparse.flopsRatio).toBeGreaterThan(0.2);
    expect(sparse.flopsRatio).toBeLessThan(1);
  });

  it('cdg at the end state and during the ramp: gate density 0.4 jointly at the end, between 0.4 and 1 midway', async () => {
    const rows = await runBench({ presets: ['cdg'], tiny: true, states: ['end', 'ramp'], rounds: 2, warmup: 1, dataset });
    expect(rows.map((r) => `${r.preset}/${r.state}`)).toEqual(['simclr-dense/end', 'cdg/end', 'simclr-dense/ramp', 'cdg/ramp']);
    const cfg = benchConfig('cdg', true);
    const share = (h: number) => 1 / (2 * cfg.batchSize * h * h); // one location of one view
    const outSide: Record<string, number> = { 's1.b0.conv1': 8, 's1.b0.conv2': 8, 's1.b0.short': 8, 's2.b0.conv1': 4, 's2.b0.conv2': 4, 's2.b0.short': 4 };
    for (const r of rows) {
      if (r.preset === 'simclr-dense') {
        expect(r.ratioToDense).toBe(1);
        expect(r.flopsRatio).toBe(1);
        expect(r.gateDensity).toBeUndefined();
        continue;
      }
      expect(r.dense).toBe('simclr-dense');
      expect(Object.keys(r.gateDensity!).sort()).toEqual(Object.keys(outSide).sort());
      for (const [name, g] of Object.entries(r.gateDensity!)) {
        const joint = (g.online + g.target) / 2;
        if (r.state === 'end') expect(Math.abs(joint - 0.4)).toBeLessThanOrEqual(share(outSide[name]) + 1e-7);
        else {
          expect(joint).toBeGreaterThan(0.4 + 0.01);
          expect(joint).toBeLessThan(0.99);
        }
      }
      // Gating skips work, the base path and the stem and heads stay: 0.4 < ratio < 1.
      expect(r.flopsRatio).toBeGreaterThan(0.4);
      expect(r.flopsRatio).toBeLessThan(1);
    }
    expect(rows[3].flopsRatio).toBeGreaterThan(rows[1].flopsRatio); // denser midway
  });

  it('a ramp row whose steps pass the updates to the end shows their mean density, not the last step\'s', async () => {
    const cfg = benchConfig('cdg', true);
    const w = scheduleOf(cfg).cdg!.window;
    const start = stateStartStep(cfg, 'ramp');
    // Enough rounds to run past the window's end: the last measured steps are at the final 0.4.
    const rounds = w.end - start + 10;
    const [, ramp] = await runBench({ presets: ['cdg'], tiny: true, states: ['ramp'], rounds, warmup: 1, dataset });
    const joint = Object.values(ramp.gateDensity!).map((g) => (g.online + g.target) / 2);
    const mean = joint.reduce((a, b) => a + b, 0) / joint.length;
    // The plan's mean over the measured steps, by hand from the schedule (±0.02 for rounding to whole locations).
    const planned = Array.from({ length: rounds }, (_, i) => scheduleOf(cfg).cdg!.at(start + 1 + i));
    const plannedMean = planned.reduce((a, b) => a + b, 0) / rounds;
    expect(plannedMean).toBeGreaterThan(0.42);
    expect(mean).toBeCloseTo(plannedMean, 2);
  });

  // Found by a measurement hunt: on WebGPU and WebGL a step resolves at its readback and its
  // update runs after, so it was timed in the next preset's step. The wait is in the region.
  it('waits for the step\'s queued GPU work inside the step\'s timed region', async () => {
    let t = 0;
    const rows = await runBench({ presets: ['cdg'], tiny: true, states: ['end'], rounds: 2, warmup: 1, dataset, now: () => t, settle: async () => void (t += 7) });
    for (const r of rows) expect([r.msPerStep, r.p25Ms, r.p75Ms]).toEqual([7, 7, 7]);
  });

  it('dense counterparts are added by SSL method, in preset order; unknown presets are refused', () => {
    expect(withDenseCounterparts(['syncp-2of4', 'cdg'], true)).toEqual(['simclr-dense', 'byol-dense', 'cdg', 'syncp-2of4']);
    expect(withDenseCounterparts(['byol-dense'], true)).toEqual(['byol-dense']);
    expect(() => withDenseCounterparts(['nope'], true)).toThrow(/unknown preset "nope"/);
  });

  it('NAME@off is the preset with the sparse kernels off, timed after it, beside the same dense counterpart', () => {
    expect(withDenseCounterparts(['syncp-2of4@off', 'syncp-2of4'], true)).toEqual(['byol-dense', 'syncp-2of4', 'syncp-2of4@off']);
    expect(benchConfig('syncp-2of4@off', true, { kernels: { sparse: 'auto' } }).kernels.sparse).toBe('off');
    expect(benchConfig('syncp-2of4', true, { kernels: { sparse: 'auto' } }).kernels.sparse).toBe('auto');
    expect(() => withDenseCounterparts(['nope@off'], true)).toThrow(/unknown preset "nope@off"/);
  });

  it('start steps: the end of every window, or its last update at or before the middle', () => {
    const syncp = benchConfig('syncp-2of4', true); // 300 steps, window 30..210 every 15
    expect(stateStartStep(syncp, 'end')).toBe(210);
    expect(stateStartStep(syncp, 'ramp')).toBe(120);
    const cdg = benchConfig('cdg', true); // window 15..150 every 15 → middle 82.5
    expect(stateStartStep(cdg, 'ramp')).toBe(75);
    expect(stateStartStep(benchConfig('simclr-dense', true), 'end')).toBe(0);
  });

  it('upsertSection replaces its own block and keeps the rest of the document', () => {
    const a = upsertSection('# Bench\n\nprose\n', 'node-cpu-tiny', 'table 1');
    expect(a).toBe('# Bench\n\nprose\n\n<!-- bench:node-cpu-tiny -->\ntable 1\n<!-- /bench:node-cpu-tiny -->\n');
    const b = upsertSection(`${a}\nmore prose\n`, 'node-cpu-tiny', 'table 2');
    expect(b).toContain('table 2');
    expect(b).not.toContain('table 1');
    expect(b).toContain('prose\n');
    expect(b).toContain('more prose');
    expect(upsertSection(b, 'other', 'x')).toContain('<!-- bench:other -->\nx\n<!-- /bench:other -->');
  });
});
