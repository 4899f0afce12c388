// The cpu gated conv that computes the conditional path only at open units
// (kernels/cpuGatedConvSparse.ts, skipClosed) against the dense-then-multiply references:
// the cpu host path (gatedConvHost: Y_c everywhere, × g) and the tf-op path (impl: 'ops':
// tf.conv2d of the split input, tfjs' autodiff). Forward values (bit for bit against the host
// path: the same sums in the same order), gates, saliencies, Δ, densities, and the gradients
// for X and K in both gate-gradient modes, on all-closed, all-open and partial gates, strides
// 1 and 2, odd sizes, both saliencies, 1 and 2 branches, shared and distinct kernels; and on
// the wasm backend (the same loops over its tensors) against the cpu host path.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../../src/engine/kernels/wasmKernels';
import { gatedConv, type GatedConvOptions } from '../../../src/engine/sparsity/cdg';

interface Case {
  b: number; h: number; w: number; cin: number; cout: number; f: number; stride: number;
  branches: 1 | 2; sharedW: boolean; opts: GatedConvOptions;
}

/** Deterministic pseudo-random values in [−1, 1), a third of them 0 (post-ReLU-like zeros take the skip branch). */
function rand(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    return u < 1 / 3 ? 0 : u * 2 - 1;
  });
}

interface Out {
  ys: Float32Array[]; gates: Float32Array[]; sal: Float32Array[]; density: number; delta: number; branchDensity: Float32Array;
  dxs: Float32Array[]; dws: Float32Array[];
}

/** Forward and the gradients of Σ_i Σ R_i ⊙ Y_i (R_i fixed random weights) for X_i and each distinct K. */
function evaluate(c: Case, opts: GatedConvOptions): Out {
  const xs = Array.from({ length: c.branches }, (_, i) => tf.tensor4d(rand(c.b * c.h * c.w * c.cin, 11 + i), [c.b, c.h, c.w, c.cin]));
  const wShape: [number, number, number, number] = [c.f, c.f, c.cin, c.cout];
  const wsDistinct = Array.from({ length: c.sharedW ? 1 : c.branches }, (_, i) => tf.tensor4d(rand(wShape.reduce((a, b) => a * b), 31 + i), wShape));
  const res = tf.tidy(() => {
    let kept: { ys: tf.Tensor[]; gates: tf.Tensor[]; sal: tf.Tensor[]; density: tf.Tensor; delta: tf.Tensor; bd: tf.Tensor } | undefined;
    const lossOf = (...args: tf.Tensor[]) => {
      const xin = args.slice(0, xs.length) as tf.Tensor4D[];
      const win = args.slice(xs.length) as tf.Tensor4D[];
      const r = gatedConv(xin, xin.map((_, i) => win[c.sharedW ? 0 : i]), { ...c.opts, ...opts, stride: c.stride });
      kept = { ys: r.ys.map((t) => tf.keep(t)), gates: r.gates.map((t) => tf.keep(t)), sal: r.saliency.map((t) => tf.keep(t)), density: tf.keep(r.density), delta: tf.keep(r.delta), bd: tf.keep(r.branchDensity) };
      return tf.addN(r.ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor(rand(y.size, 71 + i), y.shape))))) as tf.Scalar;
    };
    const grads = tf.grads(lossOf)([...xs, ...wsDistinct]);
    return { ...kept!, grads };
  });
  const data = (ts: tf.Tensor[]) => ts.map((t) => t.dataSync() as Float32Array);
  const out: Out = {
    ys: data(res.ys), gates: data(res.gates), sal: data(res.sal), density: res.density.dataSync()[0], delta: res.delta.dataSync()[0],
    branchDensity: res.bd.dataSync() as Float32Array, dxs: data(res.grads.slice(0, xs.length)), dws: data(res.grads.slice(xs.length)),
  };
  tf.dispose([xs, wsDistinct, res.ys, res.gates, res.sal, res.density, res.delta, res.bd, res.grads]);
  return out;
}

/** max |a − b| over max(1, max |b|). */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  expect(a.length, what).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst / scale, what).toBeLessThan(tol);
}

const CASES: Case[] = [
  // C_in 7 → c_b = 2 (β 1/4): uneven split; odd spatial sizes; stride 2 on odd sizes.
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.4, saliency: 'spatial' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4 } },
  { b: 2, h: 6, w: 6, cin: 5, cout: 6, f: 3, stride: 2, branches: 1, sharedW: true, opts: { beta: 0.5, density: 0.3, saliency: 'channel-group', groups: 3 } },
  { b: 1, h: 9, w: 3, cin: 8, cout: 4, f: 1, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.7, saliency: 'spatial', alpha: 2 } },
  { b: 2, h: 7, w: 7, cin: 12, cout: 10, f: 3, stride: 2, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.1, saliency: 'spatial' } },
  // All open and all closed.
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 1, saliency: 'channel-group', groups: 2 } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0, saliency: 'spatial' } },
];

describe('gated conv computing the conditional path only where needed (cpu, skipClosed)', () => {
  for (const gateGradient of ['detached', 'ste'] as const) {
    it(`matches the dense-then-multiply host path and the tf-op path, ${gateGradient}`, () => {
      for (const [ci, c] of CASES.entries()) {
        const label = `case ${ci} ${gateGradient}`;
        const sparse = evaluate(c, { gateGradient, skipClosed: true });
        const host = evaluate(c, { gateGradient });
        const ops = evaluate(c, { gateGradient, impl: 'ops' });
        sparse.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i}`).toEqual(Array.from(host.gates[i])));
        sparse.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i} vs ops`).toEqual(Array.from(ops.gates[i])));
        // Forward: the same float32 sums in the same order as the host path.
        sparse.ys.forEach((y, i) => expect(Array.from(y), `${label} y ${i}`).toEqual(Array.from(host.ys[i])));
        sparse.sal.forEach((s, i) => expect(Array.from(s), `${label} saliency ${i}`).toEqual(Array.from(host.sal[i])));
        expect(sparse.delta, `${label} delta`).toBe(host.delta);
        expect(sparse.density).toBeCloseTo(host.density, 7);
        expectClose(sparse.branchDensity, host.branchDensity, 1e-7, `${label} branch density`);
        for (const [ref, tol, name] of [[host, 2e-5, 'host'], [ops, 2e-5, 'ops']] as const) {
          sparse.ys.forEach((y, i) => expectClose(y, ref.ys[i], tol, `${label} y ${i} vs ${name}`));
          sparse.dxs.forEach((d, i) => expectClose(d, ref.dxs[i], tol, `${label} dX ${i} vs ${name}`));
          sparse.dws.forEach((d, i) => expectClose(d, ref.dws[i], tol, `${label} dK ${i} vs ${name}`));
        }
        const n = sparse.gates.reduce((a, g) => a + g.length, 0);
        const open = sparse.gates.reduce((a, g) => a + g.reduce((x, y) => x + y, 0), 0);
        expect(open, label).toBe(Math.round((c.opts.density ?? 1) * n));
      }
    });
  }

  it('at density 1 the output and gradients are the dense conv (tf.conv2d)', () => {
    const x = tf.tensor4d(rand(2 * 7 * 7 * 9, 5), [2, 7, 7, 9]);
    const w = tf.tensor4d(rand(3 * 3 * 9 * 8, 6), [3, 3, 9, 8]);
    const r = tf.tensor4d(rand(2 * 7 * 7 * 8, 7), [2, 7, 7, 8]);
    for (const stride of [1, 2]) {
      const rr = stride === 1 ? r : tf.slice(r, [0, 0, 0, 0], [2, 4, 4, 8]);
      const [gated, dense] = [
        (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gatedConv([a as tf.Tensor4D], [b as tf.Tensor4D], { density: 1, stride, skipClosed: true, gateGradient: 'detached' }).ys[0], rr)),
        (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same'), rr)),
      ].map((fn) => tf.grads(fn)([x, w]));
      expectClose(gated[0].dataSync(), dense[0].dataSync(), 1e-5, `dX stride ${stride}`);
      expectClose(gated[1].dataSync(), dense[1].dataSync(), 1e-5, `dK stride ${stride}`);
      tf.dispose([...gated, ...dense]);
      if (rr !== r) rr.dispose();
    }
    tf.dispose([x, w, r]);
  });

  it('no tensors leak across forward and backward passes', () => {
    evaluate(CASES[1], { skipClosed: true, gateGradient: 'detached' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) evaluate(CASES[1], { skipClosed: true, gateGradient: 'detached' });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the same on the wasm backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('wasm with skipClosed gives the values and gradients of the cpu host path', async () => {
    for (const [ci, c] of CASES.entries()) {
      for (const gateGradient of ['detached', 'ste'] as const) {
        await tf.setBackend('cpu');
        const host = evaluate(c, { gateGradient });
        expect(await initWasmBackend()).toMatchObject({ ok: true });
        const wasm = evaluate(c, { gateGradient, skipClosed: true });
        const label = `case ${ci} ${gateGradient}`;
        wasm.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i}`).toEqual(Array.from(host.gates[i])));
        wasm.ys.forEach((y, i) => expect(Array.from(y), `${label} y ${i}`).toEqual(Array.from(host.ys[i])));
        wasm.dxs.forEach((d, i) => expectClose(d, host.dxs[i], 2e-5, `${label} dX ${i}`));
        wasm.dws.forEach((d, i) => expectClose(d, host.dws[i], 2e-5, `${label} dK ${i}`));
      }
    }
  });
});
