// CDG's two gate gradients against independent computations: a hand-derived 1×1 conv, and
// a reference built from plain tf ops (two convs, the saliency, a stop-gradient surrogate)
// for every implementation of the gate (cpu host path, tf-op quantile, fixed Δ).
//   ste:      ∂L/∂s = Σ_group dY ⊙ Y_c · α·σ′(α(s − Δ))       at every location
//   detached: ∂L/∂s = g · Σ_group dY ⊙ Y_c · α·σ′(α(s − Δ))   (closed locations pass nothing)
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gatedConv } from '../../../src/engine/sparsity/cdgGate';

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const dsig = (z: number, alpha: number) => alpha * sig(z) * (1 - sig(z));

/** Identity forward, zero gradient. */
function stopGradient(t: tf.Tensor): tf.Tensor {
  const f = ((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0];
  return tf.customGrad(f)(t);
}

/**
 * Reference gated conv of one branch for a given 0/1 gate g and Δ (spatial saliency):
 * Y = Y_b + g·Y_c + m·(σ(α(s−Δ)) − sg σ(α(s−Δ)))·Y_c, m = 1 (ste) or g (detached); the
 * added term is 0 in value and carries exactly the surrogate gradient.
 */
function referenceY(x: tf.Tensor4D, w: tf.Tensor4D, cb: number, g: tf.Tensor4D, delta: number, alpha: number, mode: 'ste' | 'detached'): tf.Tensor4D {
  const cin = w.shape[2];
  const [xb, xc] = tf.split(x, [cb, cin - cb], 3) as tf.Tensor4D[];
  const [wb, wc] = tf.split(w, [cb, cin - cb], 2) as tf.Tensor4D[];
  const yb = tf.conv2d(xb, wb, 1, 'same');
  const yc = tf.conv2d(xc, wc, 1, 'same');
  const r = tf.mean(tf.abs(yb), 3, true);
  const s = tf.div(r, tf.add(tf.mean(r, [1, 2, 3], true), 1e-8));
  const sgm = tf.sigmoid(tf.mul(tf.sub(s, delta), alpha));
  const surrogate = tf.sub(sgm, stopGradient(sgm));
  const m = mode === 'ste' ? tf.onesLike(g) : g;
  return tf.add(tf.add(yb, tf.mul(g, yc)), tf.mul(tf.mul(m, surrogate), yc)) as tf.Tensor4D;
}

describe('CDG gate gradient', () => {
  it("1×1 conv by hand: 'detached' drops the surrogate term of closed locations, 'ste' keeps it", () => {
    // Two locations; channel 0 is the base path, channel 1 the conditional one (β = 1/2).
    const alpha = 5;
    const x0 = [1, 3];
    const x1 = [2, -1];
    const wb = 0.5;
    const wc = 0.7;
    const c = [1, 2]; // L = Σ_l c_l·y_l
    const delta = 1;
    const a = x0.map((v) => v * wb);
    const S = Math.abs(a[0]) + Math.abs(a[1]);
    const s = a.map((v) => (2 * Math.abs(v)) / S); // [0.5, 1.5]
    const g = s.map((v) => (v > delta ? 1 : 0)); // [0, 1]: location 0 closed
    const yc = x1.map((v) => v * wc);
    const ds = [(2 * Math.abs(a[1])) / S ** 2, (-2 * Math.abs(a[1])) / S ** 2]; // ∂s_l/∂a_0
    const surrogateTerm = (l: number) => c[l] * yc[l] * dsig(alpha * (s[l] - delta), alpha) * ds[l] * wb;
    const expected = {
      ste: c[0] * wb + surrogateTerm(0) + surrogateTerm(1),
      detached: c[0] * wb + surrogateTerm(1), // g_0 = 0
    };
    for (const mode of ['ste', 'detached'] as const) {
      const gx = tf.tidy(() => {
        const x = tf.tensor4d([x0[0], x1[0], x0[1], x1[1]], [1, 1, 2, 2]);
        const w = tf.tensor4d([wb, wc], [1, 1, 2, 1]);
        const cw = tf.tensor4d(c, [1, 1, 2, 1]);
        const f = (xx: tf.Tensor) => tf.sum(tf.mul(gatedConv([xx as tf.Tensor4D], [w], { beta: 0.5, threshold: delta, alpha, gateGradient: mode }).ys[0], cw)) as tf.Scalar;
        return Array.from(tf.grad(f)(x).dataSync());
      });
      expect(gx[0]).toBeCloseTo(expected[mode], 5);
      // The conditional input's gradient is g·c·w_c in both modes.
      expect(gx[1]).toBeCloseTo(0, 6);
      expect(gx[3]).toBeCloseTo(c[1] * wc, 5);
    }
    expect(Math.abs(expected.ste - expected.detached)).toBeGreaterThan(1e-3); // the modes differ here
  });

  const impls = [
    { name: 'cpu host quantile', opts: { density: 0.4 } },
    { name: 'tf-op quantile', opts: { density: 0.4, impl: 'ops' as const } },
    { name: 'fixed Δ', opts: { threshold: 1.0 } },
  ];
  for (const impl of impls) {
    for (const mode of ['ste', 'detached'] as const) {
      it(`${impl.name}, ${mode}: gradients of x and w equal the reference`, () => {
        const alpha = 5;
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          const xs = [0, 1].map((i) => tf.randomNormal([2, 5, 5, 8], 0, 1, 'float32', 30 + i) as tf.Tensor4D);
          const w = tf.randomNormal([3, 3, 8, 6], 0, 1, 'float32', 32) as tf.Tensor4D;
          const R = [0, 1].map((i) => tf.randomNormal([2, 5, 5, 6], 0, 1, 'float32', 40 + i));
          const opts = { beta: 0.25, alpha, gateGradient: mode, ...impl.opts };
          const probe = gatedConv(xs, [w, w], opts);
          const gates = probe.gates.map((g) => tf.tensor4d(g.dataSync() as Float32Array, g.shape));
          const delta = probe.delta.dataSync()[0];
          expect(Number.isFinite(delta)).toBe(true);
          const loss = (ys: tf.Tensor[]) => tf.addN(ys.map((y, i) => tf.sum(tf.mul(y, R[i])))) as tf.Scalar;
          const implGrads = tf.grads((a: tf.Tensor, b: tf.Tensor, ww: tf.Tensor) => loss(gatedConv([a as tf.Tensor4D, b as tf.Tensor4D], [ww as tf.Tensor4D, ww as tf.Tensor4D], opts).ys))([xs[0], xs[1], w]);
          const refGrads = tf.grads((a: tf.Tensor, b: tf.Tensor, ww: tf.Tensor) =>
            loss([a, b].map((x, i) => referenceY(x as tf.Tensor4D, ww as tf.Tensor4D, 2, gates[i], delta, alpha, mode))),
          )([xs[0], xs[1], w]);
          implGrads.forEach((g, i) => {
            const scale = tf.max(tf.abs(refGrads[i])).dataSync()[0];
            expect(tf.max(tf.abs(tf.sub(g, refGrads[i]))).dataSync()[0] / scale).toBeLessThan(1e-4);
          });
          // The two modes really differ on this input (some closed location has a surrogate gradient).
          const other = tf.grads((a: tf.Tensor, b: tf.Tensor, ww: tf.Tensor) =>
            loss([a, b].map((x, i) => referenceY(x as tf.Tensor4D, ww as tf.Tensor4D, 2, gates[i], delta, alpha, mode === 'ste' ? 'detached' : 'ste'))),
          )([xs[0], xs[1], w]);
          expect(tf.max(tf.abs(tf.sub(other[2], refGrads[2]))).dataSync()[0]).toBeGreaterThan(1e-3);
        });
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});

describe('a learned Δ\'s density penalty under each gate gradient', () => {
  it('reaches Δ through every unit in both modes (by hand: −2(ρ−t)/n · Σ α·σ′(α(s−Δ))), so a layer whose gates all closed can reopen', async () => {
    const rnd = (shape: [number, number, number, number], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor4D;
    const xs = [rnd([2, 5, 5, 8], 1), rnd([2, 5, 5, 8], 2)];
    const w = rnd([3, 3, 8, 4], 3);
    const [alpha, target] = [5, 0.4];
    for (const start of [1, 3]) {
      // Δ = 1: some gates open; Δ = 3: above every saliency, all closed.
      const delta = tf.variable(tf.scalar(start));
      const r = gatedConv(xs, [w, w], { beta: 0.25, threshold: delta, alpha, gateGradient: 'ste' });
      const s = (await tf.concat(r.saliency, 0).data()) as Float32Array;
      const rho = (await r.density.data())[0];
      let all = 0;
      for (const v of s) {
        const sg = 1 / (1 + Math.exp(-alpha * (v - start)));
        all += alpha * sg * (1 - sg);
      }
      if (start === 3) expect(rho).toBe(0);
      const byHand = (-2 * (rho - target) * all) / s.length;
      expect(byHand).not.toBe(0);
      for (const gateGradient of ['ste', 'detached'] as const) {
        const { grads } = tf.variableGrads(() => tf.square(tf.sub(gatedConv(xs, [w, w], { beta: 0.25, threshold: delta, alpha, gateGradient }).density, target)) as tf.Scalar, [delta]);
        // Open units only (detached), an all-closed layer got 0 here and stayed closed for good.
        expect(grads[delta.name].dataSync()[0], `${gateGradient}, Δ = ${start}`).toBeCloseTo(byHand, 5);
        tf.dispose(grads);
      }
      tf.dispose([delta, ...r.ys, ...r.gates, ...r.saliency, r.density, r.branchDensity, r.delta]);
    }
    tf.dispose([...xs, w]);
  });
});

describe('a NaN weight in a gated conv on the host backends', () => {
  it('reaches the output as in the tf-op path (the host kernels skip zero inputs, which hid it)', async () => {
    // Input channel 3 all zeros; its weights NaN: 0 · NaN is NaN in every output it feeds.
    const x = tf.tidy(() => tf.concat([tf.randomUniform([2, 4, 4, 3], 0.1, 1, 'float32', 4), tf.zeros([2, 4, 4, 5])], 3)) as tf.Tensor4D;
    const wv = tf.randomUniform([3, 3, 8, 4], -1, 1, 'float32', 5).dataSync().slice();
    for (let i = 0; i < wv.length; i++) if (Math.floor(i / 4) % 8 === 3) wv[i] = NaN;
    const w = tf.tensor4d(wv, [3, 3, 8, 4]);
    const nans = async (opts: Parameters<typeof gatedConv>[2]) => {
      const r = gatedConv([x, x], [w, w], opts);
      const n = Array.from(await r.ys[0].data()).filter(Number.isNaN).length;
      tf.dispose([...r.ys, ...r.gates, ...r.saliency, r.density, r.branchDensity, r.delta]);
      return n;
    };
    const ops = await nans({ beta: 0.25, density: 0.5, impl: 'ops' });
    expect(ops).toBeGreaterThan(0);
    for (const skipClosed of [false, true]) expect(await nans({ beta: 0.25, density: 0.5, skipClosed })).toBe(ops);
    tf.dispose([x, w]);
  });
});

// From a host-CDG hunt: the host backwards skip zero inputs and closed units, so a NaN in dy
// (a step whose loss is finite, gradients not) gave finite gradients where the tf-op path
// gives NaN. Now a non-finite dy makes them NaN (every entry: coarser than tfjs, never hidden).
describe('a NaN in dy through a gated conv on the host backends', () => {
  for (const gateGradient of ['ste', 'detached'] as const)
    it(`every weight-gradient entry the tf-op path makes NaN is NaN on the host paths too (${gateGradient})`, () => {
      // Input channel 3 zero at pixel (0, 0), as a ReLU leaves it; dy NaN at output (1, 1).
      const xv = tf.randomUniform([1, 3, 3, 4], 0.1, 1, 'float32', 6).dataSync().slice();
      xv[3] = 0;
      const x = tf.tensor4d(xv, [1, 3, 3, 4]);
      const w = tf.randomUniform([3, 3, 4, 4], -1, 1, 'float32', 7) as tf.Tensor4D;
      const dyv = new Float32Array(36).fill(1);
      dyv[4 * 4 + 2] = NaN;
      const dy = tf.tensor4d(dyv, [1, 3, 3, 4]);
      const nanAt = (opts: Parameters<typeof gatedConv>[2]) =>
        tf.tidy(() => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gatedConv([a as tf.Tensor4D], [b as tf.Tensor4D], opts).ys[0], dy)))([x, w]);
          return Array.from(g[1].dataSync(), (v, i) => (Number.isNaN(v) ? i : -1)).filter((i) => i >= 0);
        });
      const ops = nanAt({ beta: 0.25, density: 0.5, gateGradient, impl: 'ops' });
      expect(ops.length).toBeGreaterThan(0);
      for (const skipClosed of [false, true]) {
        const host = new Set(nanAt({ beta: 0.25, density: 0.5, gateGradient, skipClosed }));
        expect(ops.filter((i) => !host.has(i)), `skipClosed ${skipClosed}`).toEqual([]);
      }
      tf.dispose([x, w, dy]);
    });
});

