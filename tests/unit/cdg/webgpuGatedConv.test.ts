// CDG's gated conv as custom WebGPU programs (kernels/webgpuGatedConv.ts) against two
// independent formulations: the tf-op path on the same backend (impl: 'ops': tf.split,
// tf.conv2d, tf.abs/matMul/mean/div, topk-free selection, tfjs' autodiff) and the cpu host
// path (gatedConvHost: typed-array loops). Forward values, gates, saliencies, densities, Δ
// and the gradients for X and K (straight-through and 'detached' gate gradients), with the
// per-sample programs' workgroups of a GPU and of a software adapter, on odd shapes, strides 1 and 2, uneven channel splits,
// both saliencies, 1 and 2 branches, all-open / all-closed / partial gates; and dense
// equivalence at density 1 against tf.conv2d. Dawn in Node (SwiftShader without a GPU);
// skipped where no WebGPU adapter.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { gatedConv } from '../../../src/engine/sparsity/cdgGate';
import { setGateScanLimit, setSoftwareAdapterWorkgroups } from '../../../src/engine/kernels/webgpuGatedConv';
import { evaluate, expectClose, expectSame, rand, type Case } from './gatedConvRuns';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

const CASES: Case[] = [
  // C_in 7 → c_b = 2 (β 1/4): uneven split; odd spatial sizes; stride 2 on odd sizes.
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.4, saliency: 'spatial' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4 } },
  { b: 2, h: 6, w: 6, cin: 5, cout: 6, f: 3, stride: 2, branches: 1, sharedW: true, opts: { beta: 0.5, density: 0.3, saliency: 'channel-group', groups: 4 } },
  { b: 1, h: 9, w: 3, cin: 8, cout: 4, f: 1, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.7, saliency: 'spatial', alpha: 2 } },
  // 'detached' gate gradient: closed units pass no gradient to the saliency.
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.4, saliency: 'spatial', gateGradient: 'detached' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4, gateGradient: 'detached' } },
  // All open and all closed: Δ = ±∞, no gradient through the gate.
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 1, saliency: 'channel-group', groups: 2 } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0, saliency: 'spatial' } },
];

describe.skipIf(!haveWebGPU)('gated conv as WebGPU programs', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // Both per-sample workgroup sizes (the GPU's 256, a software adapter's 4: backend.ts picks
  // by adapter), whatever adapter runs the test; the adapter's own is restored after.
  it.each([[false, 256], [true, 4]])('matches the tf-op path on webgpu and the cpu host path: values, gates, gradients (software-adapter workgroups %s: %i)', async (software) => {
    setSoftwareAdapterWorkgroups(software);
    for (const [ci, c] of CASES.entries()) {
      await tf.setBackend('webgpu');
      const fused = await evaluate(c, {});
      const ops = await evaluate(c, { impl: 'ops' });
      await tf.setBackend('cpu');
      const host = await evaluate(c, {});
      expectSame(fused, ops, 2e-5, `case ${ci} vs ops`);
      expectSame(fused, host, 2e-5, `case ${ci} vs host`);
      // The densities the gates say: round(d·N) open of the pooled N units.
      const n = fused.gates.reduce((a, g) => a + g.length, 0);
      const open = fused.gates.reduce((a, g) => a + g.reduce((x, y) => x + y, 0), 0);
      expect(open).toBe(Math.round((c.opts.density ?? 1) * n));
    }
    setSoftwareAdapterWorkgroups(report?.softwareAdapter ?? false);
  });

  it('gatedConv on webgpu runs the programs (the hook is taken), impl: ops does not', async () => {
    await tf.setBackend('webgpu');
    const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'runWebGPUProgram');
    const keys = () => spy.mock.calls.map((c) => c[0].shaderKey.split('_')[0]);
    await evaluate(CASES[0], {});
    expect(keys()).toEqual(expect.arrayContaining(['cdgDualConv', 'cdgSaliency', 'cdgGateApply', 'cdgGateBackward', 'cdgDualConvDx', 'cdgDualConvDw']));
    // initBackend chose the per-sample workgroups by the adapter (SwiftShader here: 4).
    const perSample = spy.mock.calls.map((c) => c[0] as unknown as { shaderKey: string; workgroupSize: number[] }).filter((p) => /^cdg(Saliency|GateBackward)/.test(p.shaderKey));
    expect(perSample.length).toBeGreaterThan(0);
    for (const p of perSample) expect(p.workgroupSize[0]).toBe(report?.softwareAdapter ? 4 : 256);
    spy.mockClear();
    await evaluate(CASES[0], { impl: 'ops' });
    expect(keys().filter((k) => k.startsWith('cdgDual') || k.startsWith('cdgGateApply'))).toEqual([]);
    spy.mockRestore();
  });

  it('at density 1 the output is the dense conv (tf.conv2d)', async () => {
    await tf.setBackend('webgpu');
    const x = tf.tensor4d(rand(2 * 7 * 7 * 9, 5), [2, 7, 7, 9]);
    const w = tf.tensor4d(rand(3 * 3 * 9 * 8, 6), [3, 3, 9, 8]);
    for (const stride of [1, 2]) {
      const [y, dense] = tf.tidy(() => [gatedConv([x], [w], { density: 1, stride }).ys[0], tf.conv2d(x, w, stride, 'same')]);
      expectClose(await y.data(), await dense.data(), 1e-5, `stride ${stride}`);
      tf.dispose([y, dense]);
    }
    tf.dispose([x, w]);
  });

  // Found by a read-only hunt: every sample's workgroup scanned all pooled units for Δ
  // (b·n reads: billions at a large batch). Above a limit Δ is found once and given.
  it('Δ given to the gate backward (found once) gives the gradients the per-workgroup scan gives, and leaks nothing', async () => {
    await tf.setBackend('webgpu');
    const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'runWebGPUProgram');
    const backwards = () => spy.mock.calls.map((c) => c[0].shaderKey).filter((k) => k.startsWith('cdgGateBackward_'));
    try {
      for (const [ci, c] of CASES.entries()) {
        setGateScanLimit(1 << 24);
        spy.mockClear();
        const scanned = await evaluate(c, {});
        expect(backwards().every((k) => k.includes('_false_wg')), `case ${ci}`).toBe(true);
        setGateScanLimit(0);
        spy.mockClear();
        const before = tf.memory().numTensors;
        const given = await evaluate(c, {});
        expect(tf.memory().numTensors, `case ${ci}`).toBe(before);
        // Both find Δ the same way (the midpoint of the same two keys): the same gradients.
        expectSame(given, scanned, 1e-30, `case ${ci}`);
        // Given wherever a gate gradient flows (0 < density < 1), one a branch; not at ±∞.
        const smooth = (c.opts.density ?? 1) > 0 && (c.opts.density ?? 1) < 1;
        expect(backwards().filter((k) => k.includes('_true_wg')).length, `case ${ci}`).toBe(smooth ? c.branches : 0);
      }
    } finally {
      setGateScanLimit(1 << 24);
      spy.mockRestore();
    }
  });

  it('no tensors leak across forward and backward passes', async () => {
    await tf.setBackend('webgpu');
    const c = CASES[1];
    await evaluate(c, {});
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await evaluate(c, {});
    expect(tf.memory().numTensors).toBe(before);
  });
});
