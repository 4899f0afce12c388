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
import { initBackend } from '../../../src/engine/backend';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';
import { gatedConv, NO_DELTA, type GatedConvOptions } from '../../../src/engine/sparsity/cdg';

const installed = await installNodeWebGPU();
const report = installed.ok ? await initBackend(['webgpu']) : undefined;
const haveWebGPU = report?.backend === 'webgpu';
if (haveWebGPU) tf.env().set('WEBGPU_CPU_FORWARD', false);

interface Case {
  b: number; h: number; w: number; cin: number; cout: number; f: number; stride: number;
  branches: 1 | 2; sharedW: boolean; opts: GatedConvOptions;
}

/** Deterministic pseudo-random values (no backend RNG: the same numbers on every backend). */
function rand(n: number, seed: number): Float32Array {
  let s = seed * 2654435761 >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

interface Out {
  ys: Float32Array[]; gates: Float32Array[]; sal: Float32Array[]; density: number; delta: number; branchDensity: Float32Array;
  dxs: Float32Array[]; dws: Float32Array[];
}

/** Forward and the gradients of Σ_i Σ R_i ⊙ Y_i (R_i fixed random weights) for X_i and each distinct K. */
async function evaluate(c: Case, opts: GatedConvOptions): Promise<Out> {
  const xs = Array.from({ length: c.branches }, (_, i) => tf.tensor4d(rand(c.b * c.h * c.w * c.cin, 11 + i), [c.b, c.h, c.w, c.cin]));
  const wShape: [number, number, number, number] = [c.f, c.f, c.cin, c.cout];
  const wsDistinct = Array.from({ length: c.sharedW ? 1 : c.branches }, (_, i) => tf.tensor4d(rand(wShape.reduce((a, b) => a * b), 31 + i), wShape));
  const res = tf.tidy(() => {
    let kept: { ys: tf.Tensor[]; gates: tf.Tensor[]; sal: tf.Tensor[]; density: tf.Tensor; delta: tf.Tensor; bd: tf.Tensor } | undefined;
    const lossOf = (...args: tf.Tensor[]) => {
      const xin = args.slice(0, xs.length) as tf.Tensor4D[];
      const win = args.slice(xs.length) as tf.Tensor4D[];
      const r = gatedConv(xin, xin.map((_, i) => win[c.sharedW ? 0 : i]), { ...c.opts, ...opts, stride: c.stride });
      // tf.grads disposes what its function made but the loss: keep what is compared.
      kept = { ys: r.ys.map((t) => tf.keep(t)), gates: r.gates.map((t) => tf.keep(t)), sal: r.saliency.map((t) => tf.keep(t)), density: tf.keep(r.density), delta: tf.keep(r.delta), bd: tf.keep(r.branchDensity) };
      return tf.addN(r.ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor(rand(y.size, 71 + i), y.shape))))) as tf.Scalar;
    };
    const grads = tf.grads(lossOf)([...xs, ...wsDistinct]);
    return { ...kept!, grads };
  });
  const data = async (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  const out: Out = {
    ys: await data(res.ys), gates: await data(res.gates), sal: await data(res.sal), density: (await res.density.data())[0], delta: (await res.delta.data())[0],
    branchDensity: (await res.bd.data()) as Float32Array, dxs: await data(res.grads.slice(0, xs.length)), dws: await data(res.grads.slice(xs.length)),
  };
  tf.dispose([xs, wsDistinct, res.ys, res.gates, res.sal, res.density, res.delta, res.bd, res.grads]);
  return out;
}

/** max |a − b| over max(1, max |b|): float32 rounding of sums of up to a few hundred terms. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  expect(a.length, what).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst / scale, what).toBeLessThan(tol);
}

function expectSame(got: Out, want: Out, tol: number, label: string) {
  got.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i}`).toEqual(Array.from(want.gates[i])));
  got.ys.forEach((y, i) => expectClose(y, want.ys[i], tol, `${label} y ${i}`));
  got.sal.forEach((s, i) => expectClose(s, want.sal[i], tol, `${label} saliency ${i}`));
  expect(got.density).toBeCloseTo(want.density, 6);
  // Δ: the midpoint at the boundary; all / none open: beyond any saliency (±NO_DELTA here and
  // on the tf-op path, ±∞ on the host path), with the sign that says which.
  if (Number.isFinite(want.delta) && Math.abs(want.delta) < NO_DELTA) expect(Math.abs(got.delta - want.delta)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.delta)));
  else {
    expect(Math.sign(got.delta), `${label} delta sign`).toBe(Math.sign(want.delta));
    expect(Math.abs(got.delta)).toBeGreaterThanOrEqual(NO_DELTA);
  }
  expectClose(got.branchDensity, want.branchDensity, 1e-6, `${label} branch density`);
  got.dxs.forEach((d, i) => expectClose(d, want.dxs[i], tol, `${label} dX ${i}`));
  got.dws.forEach((d, i) => expectClose(d, want.dws[i], tol, `${label} dK ${i}`));
}

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
    spy.mockRestore();
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
