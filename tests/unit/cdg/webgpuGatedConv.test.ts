// CDG's gated conv as custom WebGPU programs (kernels/webgpuGatedConv.ts) against two
// independent formulations: the tf-op path on the same backend (impl: 'ops': tf.split,
// tf.conv2d, tf.abs/matMul/mean/div, topk-free selection, tfjs' autodiff) and the cpu host
// path (gatedConvHost: typed-array loops). Forward values, gates, saliencies, densities, Δ
// and the gradients for X and K (straight-through and 'detached' gate gradients) on odd shapes, strides 1 and 2, uneven channel splits,
// both saliencies, 1 and 2 branches, all-open / all-closed / partial gates; and dense
// equivalence at density 1 against tf.conv2d. Dawn in Node (SwiftShader without a GPU);
// skipped where no WebGPU adapter.
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

  it('matches the tf-op path on webgpu and the cpu host path: values, gates, gradients', async () => {
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
  });

  it('gatedConv on webgpu runs the programs (the hook is taken), impl: ops does not', async () => {
    await tf.setBackend('webgpu');
    const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
    const spy = vi.spyOn(backend, 'runWebGPUProgram');
    const keys = () => spy.mock.calls.map((c) => c[0].shaderKey.split('_')[0]);
    await evaluate(CASES[0], {});
    expect(keys()).toEqual(expect.arrayContaining(['cdgDualConv', 'cdgSaliency', 'cdgGateApply', 'cdgGateBackward', 'cdgDualConvDx', 'cdgDualConvDw']));
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

  it('no tensors leak across forward and backward passes', async () => {
    await tf.setBackend('webgpu');
    const c = CASES[1];
    await evaluate(c, {});
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await evaluate(c, {});
    expect(tf.memory().numTensors).toBe(before);
  });
});
