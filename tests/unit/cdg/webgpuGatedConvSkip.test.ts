// CDG's gated conv on WebGPU with the conditional path skipped at closed locations
// (gateGradient 'detached', skipClosed: kernels/webgpuGatedConv.ts' two-stage path, shaders
// in webgpuGatedConvSkip.wgsl.ts; with 'ste' only dX / dK skip closed units) against two references that compute Y_c everywhere and
// multiply by g: the one-dual-conv programs on webgpu (skipClosed off, the kernels.sparse
// 'off' path) and the cpu host path (gatedConvHost: typed-array loops). Forward values,
// gates, saliencies, densities, Δ and dX / dK on odd sizes, strides 1 and 2, uneven channel
// splits, both saliencies, 1 and 2 branches, shared and separate kernels, density 0 (all
// closed), 1 (all open) and partial; the programs taken; numTensors flat. Dawn in Node
// (SwiftShader without a GPU); skipped where no WebGPU adapter.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { gatedConv } from '../../../src/engine/sparsity/cdgGate';
import { evaluate, expectClose, expectSame, rand, type Case } from './gatedConvRuns';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

const D = { gateGradient: 'detached' } as const;
const S = { gateGradient: 'ste' } as const;
const CASES: Case[] = [
  // C_in 7 → c_b = 2 (β 1/4): uneven split; odd spatial sizes; stride 2 on odd sizes.
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { ...D, beta: 0.25, density: 0.4, saliency: 'spatial' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { ...D, beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4 } },
  { b: 2, h: 6, w: 6, cin: 5, cout: 6, f: 3, stride: 2, branches: 1, sharedW: true, opts: { ...D, beta: 0.5, density: 0.3, saliency: 'channel-group', groups: 4 } },
  { b: 1, h: 9, w: 3, cin: 8, cout: 4, f: 1, stride: 1, branches: 2, sharedW: true, opts: { ...D, beta: 0.25, density: 0.7, saliency: 'spatial', alpha: 2 } },
  { b: 3, h: 5, w: 5, cin: 11, cout: 7, f: 3, stride: 1, branches: 1, sharedW: true, opts: { ...D, beta: 0.25, density: 0.5, saliency: 'spatial' } },
  // All open and all closed: Δ = ±∞, no gradient through the gate.
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 1, branches: 2, sharedW: true, opts: { ...D, beta: 0.25, density: 1, saliency: 'channel-group', groups: 2 } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { ...D, beta: 0.25, density: 0, saliency: 'spatial' } },
  { b: 2, h: 7, w: 3, cin: 9, cout: 6, f: 3, stride: 1, branches: 1, sharedW: true, opts: { ...D, beta: 0.25, density: 0, saliency: 'channel-group', groups: 3 } },
  { b: 1, h: 3, w: 7, cin: 5, cout: 4, f: 3, stride: 2, branches: 2, sharedW: true, opts: { ...D, beta: 0.25, density: 1, saliency: 'spatial' } },
  // 'ste': the dual conv everywhere forward, dX and dK from open units only.
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { ...S, beta: 0.25, density: 0.4, saliency: 'spatial' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { ...S, beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4 } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 2, branches: 1, sharedW: true, opts: { ...S, beta: 0.25, density: 0, saliency: 'spatial' } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 1, branches: 2, sharedW: false, opts: { ...S, beta: 0.25, density: 1, saliency: 'channel-group', groups: 2 } },
];

describe.skipIf(!haveWebGPU)('gated conv on WebGPU, conditional path at open locations only (detached; ste: gradients)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches the dense-then-multiply programs and the cpu host path: values, gates, dX, dK', async () => {
    for (const [ci, c] of CASES.entries()) {
      await tf.setBackend('webgpu');
      const skip = await evaluate(c, { skipClosed: true });
      const dense = await evaluate(c, { skipClosed: false });
      await tf.setBackend('cpu');
      const host = await evaluate(c, {});
      expectSame(skip, dense, 2e-5, `case ${ci} vs dense programs`);
      expectSame(skip, host, 2e-5, `case ${ci} vs host`);
      const n = skip.gates.reduce((a, g) => a + g.length, 0);
      const open = skip.gates.reduce((a, g) => a + g.reduce((x, y) => x + y, 0), 0);
      expect(open).toBe(Math.round((c.opts.density ?? 1) * n));
    }
  });

  it('at density 0 the output is the base conv alone, at density 1 the dense conv (tf.conv2d)', async () => {
    await tf.setBackend('webgpu');
    const x = tf.tensor4d(rand(2 * 7 * 5 * 9, 5), [2, 7, 5, 9]);
    const w = tf.tensor4d(rand(3 * 3 * 9 * 8, 6), [3, 3, 9, 8]);
    const cb = 3; // ⌈9 / 4⌉
    for (const stride of [1, 2]) {
      const opts = { ...D, skipClosed: true, stride, beta: 0.25 };
      const [y0, y1, base, dense] = tf.tidy(() => [
        gatedConv([x], [w], { ...opts, density: 0 }).ys[0],
        gatedConv([x], [w], { ...opts, density: 1 }).ys[0],
        tf.conv2d(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, cb]), tf.slice(w, [0, 0, 0, 0], [-1, -1, cb, -1]), stride, 'same'),
        tf.conv2d(x, w, stride, 'same'),
      ]);
      expectClose(await y0.data(), await base.data(), 1e-5, `density 0, stride ${stride}`);
      expectClose(await y1.data(), await dense.data(), 1e-5, `density 1, stride ${stride}`);
      tf.dispose([y0, y1, base, dense]);
    }
    tf.dispose([x, w]);
  });

  it('takes the two-stage programs for detached with skipClosed, the skipping gradients for ste, the dual conv without skipClosed', async () => {
    await tf.setBackend('webgpu');
    const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'runWebGPUProgram');
    const keys = () => spy.mock.calls.map((call) => call[0].shaderKey.split('_')[0]);
    await evaluate(CASES[0], { skipClosed: true });
    expect(keys()).toEqual(expect.arrayContaining(['cdgBaseConv', 'cdgCondConv', 'cdgCondConvDx', 'cdgCondConvDw', 'cdgSaliency', 'cdgGateApply', 'cdgGateBackward']));
    expect(keys().filter((k) => k.startsWith('cdgDualConv'))).toEqual([]);
    spy.mockClear();
    await evaluate(CASES[0], { skipClosed: false });
    expect(keys().filter((k) => k.startsWith('cdgCond') || k.startsWith('cdgBase'))).toEqual([]);
    expect(keys()).toEqual(expect.arrayContaining(['cdgDualConv', 'cdgDualConvDx', 'cdgDualConvDw']));
    // 'ste': the dual conv forward (Y_c everywhere), the skipping dX and dK backward.
    spy.mockClear();
    await evaluate(CASES[0], { skipClosed: true, gateGradient: 'ste' });
    expect(keys()).toEqual(expect.arrayContaining(['cdgDualConv', 'cdgCondConvDx', 'cdgCondConvDw']));
    expect(keys().filter((k) => k === 'cdgBaseConv' || k === 'cdgCondConv' || k === 'cdgDualConvDx' || k === 'cdgDualConvDw')).toEqual([]);
    // 'ste' with every gate closed (density 0): nothing needs Y_c, so the base half alone
    // (found by a CDG hunt: the dual conv computed it everywhere; the cpu skips it).
    spy.mockClear();
    await evaluate(CASES[11], { skipClosed: true });
    expect(keys()).toContain('cdgBaseConv');
    expect(keys().filter((k) => k === 'cdgDualConv')).toEqual([]);
    spy.mockRestore();
  });

  it('a forward-only branch (BYOL’s target) under ste takes the two-stage programs; outputs and the trained branch’s gradients unchanged', async () => {
    await tf.setBackend('webgpu');
    const x0 = tf.tensor4d(rand(2 * 5 * 7 * 7, 31), [2, 5, 7, 7]);
    const x1 = tf.tensor4d(rand(2 * 5 * 7 * 7, 32), [2, 5, 7, 7]);
    const w0 = tf.tensor4d(rand(3 * 3 * 7 * 6, 33), [3, 3, 7, 6]);
    const w1 = tf.tensor4d(rand(3 * 3 * 7 * 6, 34), [3, 3, 7, 6]);
    const r = tf.tensor4d(rand(2 * 5 * 7 * 6, 35), [2, 5, 7, 6]);
    const opts = (forwardOnly?: boolean[]) => ({ ...S, skipClosed: true, density: 0.4, stride: 1, beta: 0.25, forwardOnly });
    const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'runWebGPUProgram');
    const keys = () => spy.mock.calls.map((call) => call[0].shaderKey.split('_')[0]);
    const run = async (forwardOnly?: boolean[]) => {
      spy.mockClear();
      const ys = gatedConv([x0, x1], [w0, w1], opts(forwardOnly)).ys;
      const out = await Promise.all(ys.map((y) => y.data()));
      // The trained branch's gradients (on WebGPU each branch is its own op: branch 1 is not on branch 0's tape).
      const grads = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(gatedConv([a as tf.Tensor4D, x1], [c as tf.Tensor4D, w1], opts(forwardOnly)).ys[0], r)))([x0, w0]);
      const g = await Promise.all(grads.map((t) => t.data()));
      tf.dispose([...ys, ...grads]);
      return { out, g, programs: keys() };
    };
    const plain = await run();
    const flagged = await run([false, true]);
    // The trained branch keeps the dual conv (Y_c everywhere: its gate gradient needs it); the
    // forward-only one computes the base half, then Y_c at open units only.
    expect(plain.programs.filter((k) => k === 'cdgBaseConv' || k === 'cdgCondConv')).toEqual([]);
    expect(flagged.programs).toEqual(expect.arrayContaining(['cdgDualConv', 'cdgBaseConv', 'cdgCondConv']));
    plain.out.forEach((y, i) => expectClose(flagged.out[i], y, 1e-5, `y ${i}`));
    plain.g.forEach((g, i) => expectClose(flagged.g[i], g, 1e-5, `grad ${i}`));
    spy.mockRestore();
    tf.dispose([x0, x1, w0, w1, r]);
  });

  it('no tensors leak across forward and backward passes', async () => {
    await tf.setBackend('webgpu');
    for (const c of [CASES[1], CASES[10]]) {
      await evaluate(c, { skipClosed: true });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await evaluate(c, { skipClosed: true });
      expect(tf.memory().numTensors, c.opts.gateGradient).toBe(before);
    }
  });
});
