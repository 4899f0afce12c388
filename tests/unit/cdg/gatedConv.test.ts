// The gated conv against independent references: tf.conv2d for the two limits of Δ,
// plain-JS counts for the joint density, and a hand-derived surrogate gradient.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dualGate, gatedConv } from '../../../src/engine/sparsity/cdgGate';

function rand(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The kernel with its conditional input channels (index ≥ cb) zeroed: the base path as one conv. */
function baseOnlyKernel(w: tf.Tensor4D, cb: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = w.shape;
    const keep = tf.tensor4d(Array.from({ length: cin }, (_, c) => (c < cb ? 1 : 0)), [1, 1, cin, 1]);
    return tf.mul(w, tf.tile(keep, [kh, kw, 1, cout])) as tf.Tensor4D;
  });
}

const sig = (z: number) => 1 / (1 + Math.exp(-z));
const dsig = (z: number, alpha: number) => alpha * sig(z) * (1 - sig(z));

describe('gatedConv', () => {
  const cases = [
    { stride: 1, saliency: 'spatial' as const, cin: 8, cout: 6 },
    { stride: 2, saliency: 'channel-group' as const, cin: 7, cout: 8 },
  ];

  it('gates are exactly 0 or 1 (quantile, fixed and learned Δ; both saliencies)', () => {
    for (const c of cases) {
      tf.tidy(() => {
        const xs = [rand([2, 6, 6, c.cin], 1), rand([2, 6, 6, c.cin], 2)];
        const w = rand([3, 3, c.cin, c.cout], 3);
        for (const threshold of [undefined, 1.0, tf.scalar(0.9)]) {
          const r = gatedConv(xs, [w, w], { beta: 0.25, density: 0.37, threshold, saliency: c.saliency, groups: 4, stride: c.stride });
          for (const g of r.gates) {
            const vals = g.dataSync();
            expect(vals.length).toBeGreaterThan(0);
            for (const v of vals) expect(v === 0 || v === 1).toBe(true);
          }
        }
      });
    }
  });

  it('Δ = −∞ gives the dense conv, Δ = +∞ the base path alone (against tf.conv2d)', () => {
    for (const c of cases) {
      tf.tidy(() => {
        const xs = [rand([2, 5, 5, c.cin], 4), rand([2, 5, 5, c.cin], 5)];
        const ws = [rand([3, 3, c.cin, c.cout], 6), rand([3, 3, c.cin, c.cout], 7)];
        const cb = Math.ceil(0.25 * c.cin);
        const open = gatedConv(xs, ws, { beta: 0.25, threshold: -Infinity, saliency: c.saliency, stride: c.stride });
        const closed = gatedConv(xs, ws, { beta: 0.25, threshold: Infinity, saliency: c.saliency, stride: c.stride });
        expect(open.baseChannels).toBe(cb);
        xs.forEach((x, i) => {
          const dense = tf.conv2d(x, ws[i], c.stride, 'same');
          const base = tf.conv2d(x, baseOnlyKernel(ws[i], cb), c.stride, 'same');
          expect(open.ys[i].shape).toEqual(dense.shape);
          expect(maxAbsDiff(open.ys[i], dense)).toBeLessThan(1e-4);
          expect(maxAbsDiff(closed.ys[i], base)).toBeLessThan(1e-4);
          expect(maxAbsDiff(dense, base)).toBeGreaterThan(1e-2); // the two limits really differ
        });
      });
    }
  });

  it('the joint density over both branches meets the target within one location’s share; open units are the most salient', () => {
    for (const c of cases) {
      for (const density of [0.1, 0.4, 0.77]) {
        tf.tidy(() => {
          // Branch 2 is sparser in its input, so its saliency distribution differs from branch 1's.
          const x2 = tf.mul(rand([3, 6, 6, c.cin], 9), tf.cast(tf.greater(rand([3, 6, 6, 1], 10), 0.5), 'float32')) as tf.Tensor4D;
          const xs = [rand([3, 6, 6, c.cin], 8), x2];
          const w = rand([3, 3, c.cin, c.cout], 11);
          const r = gatedConv(xs, [w, w], { beta: 0.25, density, saliency: c.saliency, groups: 4, stride: c.stride });
          const gs = r.gates.map((g) => Array.from(g.dataSync()));
          const ss = r.saliency.map((s) => Array.from(s.dataSync()));
          const g = gs.flat();
          const s = ss.flat();
          const n = g.length;
          const open = g.reduce((a, v) => a + v, 0);
          expect(Math.abs(open / n - density)).toBeLessThanOrEqual(1 / n);
          const minOpen = Math.min(...s.filter((_, i) => g[i] === 1));
          const maxClosed = Math.max(...s.filter((_, i) => g[i] === 0));
          expect(minOpen).toBeGreaterThanOrEqual(maxClosed);
          // The reported pooled density agrees with the count.
          expect(r.density.dataSync()[0]).toBeCloseTo(open / n, 6);
        });
      }
    }
  });

  it('dualGate: the surrogate gradient equals α·σ′(α(s − Δ)) with Δ midway between the last open and first closed value', () => {
    const alpha = 5;
    const s1 = [0.2, 1.5, 0.9, 2.0];
    const s2 = [1.1, 0.3, 1.7, 0.6];
    const c = [1, -2, 0.5, 3, -1, 0.25, 2, -0.5]; // upstream gradient, pooled order
    // density 0.5 of 8 → 4 open: 2.0, 1.7, 1.5, 1.1; first closed 0.9 → Δ = 1.0
    const delta = (1.1 + 0.9) / 2;
    const expected = [...s1, ...s2].map((s, i) => c[i] * dsig(alpha * (s - delta), alpha));
    const { value, grads } = tf.tidy(() => {
      const a = tf.tensor4d(s1, [1, 2, 2, 1]);
      const b = tf.tensor4d(s2, [1, 2, 2, 1]);
      const f = (x: tf.Tensor, y: tf.Tensor) => {
        const [g1, g2] = dualGate([x as tf.Tensor4D, y as tf.Tensor4D], { density: 0.5, alpha });
        return tf.sum(tf.mul(tf.concat([g1, g2], 0).reshape([8]), tf.tensor1d(c))) as tf.Scalar;
      };
      const gates = dualGate([a, b], { density: 0.5, alpha });
      const gr = tf.grads(f)([a, b]);
      return { value: [...gates[0].dataSync(), ...gates[1].dataSync()], grads: [...gr[0].dataSync(), ...gr[1].dataSync()] };
    });
    expect(value).toEqual([0, 1, 0, 1, 1, 0, 1, 0]);
    grads.forEach((g, i) => expect(g).toBeCloseTo(expected[i], 5));
  });

  it('surrogate gradient through a tiny 1×1 gated conv equals a hand computation', () => {
    // Input [1, 1, 2, 2]: two locations, channel 0 → base path, channel 1 → conditional (β = 1/2).
    const alpha = 5;
    const x0 = [1, 3];
    const x1 = [2, -1];
    const wb = 0.5;
    const wc = 0.7;
    const c = [1, 2]; // L = Σ_l c_l·y_l
    const delta = 1;
    const a = x0.map((v) => v * wb); // base output per location
    const S = Math.abs(a[0]) + Math.abs(a[1]);
    const s = a.map((v) => (2 * Math.abs(v)) / S); // normalised saliency: [0.5, 1.5]
    const g = s.map((v) => (v > delta ? 1 : 0)); // [0, 1]
    const yc = x1.map((v) => v * wc);
    // ∂s_1/∂a_1 = 2|a_2|/S², ∂s_2/∂a_1 = −2|a_2|/S² (a > 0); ∂a_1/∂x0_1 = wb.
    const ds = [(2 * Math.abs(a[1])) / S ** 2, (-2 * Math.abs(a[1])) / S ** 2];
    const dx0_1 = c[0] * wb + [0, 1].reduce((acc, l) => acc + c[l] * yc[l] * dsig(alpha * (s[l] - delta), alpha) * ds[l] * wb, 0);
    const dx1 = [0, 1].map((l) => c[l] * g[l] * wc);
    const dwc = [0, 1].reduce((acc, l) => acc + c[l] * g[l] * x1[l], 0);
    const dwb = c[0] * x0[0] + c[1] * x0[1]; // the saliency is scale-invariant in wb

    const out = tf.tidy(() => {
      const x = tf.tensor4d([x0[0], x1[0], x0[1], x1[1]], [1, 1, 2, 2]);
      const w = tf.tensor4d([wb, wc], [1, 1, 2, 1]);
      const cw = tf.tensor4d(c, [1, 1, 2, 1]);
      const f = (xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.mul(gatedConv([xx as tf.Tensor4D], [ww as tf.Tensor4D], { beta: 0.5, threshold: delta, alpha }).ys[0], cw)) as tf.Scalar;
      const [gx, gw] = tf.grads(f)([x, w]);
      const r = gatedConv([x], [w], { beta: 0.5, threshold: delta, alpha });
      return { gx: Array.from(gx.dataSync()), gw: Array.from(gw.dataSync()), gate: Array.from(r.gates[0].dataSync()) };
    });
    expect(out.gate).toEqual(g);
    expect(out.gx[0]).toBeCloseTo(dx0_1, 4);
    expect(out.gx[1]).toBeCloseTo(dx1[0], 5);
    expect(out.gx[3]).toBeCloseTo(dx1[1], 5);
    expect(out.gw[0]).toBeCloseTo(dwb, 4);
    expect(out.gw[1]).toBeCloseTo(dwc, 5);
    // The surrogate term really contributes (differs from the straight base gradient).
    expect(Math.abs(dx0_1 - c[0] * wb)).toBeGreaterThan(1e-3);
  });

  it('gradients reach the kernel entries of both paths and a learned Δ', () => {
    tf.tidy(() => {
      const xs = [rand([2, 5, 5, 8], 20), rand([2, 5, 5, 8], 21)];
      const w = rand([3, 3, 8, 4], 22);
      const delta = tf.scalar(1.0);
      for (const threshold of [undefined, delta]) {
        const f = (ww: tf.Tensor, d: tf.Tensor) => {
          const r = gatedConv(xs, [ww as tf.Tensor4D, ww as tf.Tensor4D], { beta: 0.25, density: 0.4, threshold: threshold ? d : undefined });
          return tf.add(tf.sum(tf.square(tf.concat(r.ys, 0))), tf.square(tf.sub(r.density, 0.4))) as tf.Scalar;
        };
        // The quantile case does not use d: differentiate w.r.t. w alone there.
        const [gw, gd] = threshold ? tf.grads(f)([w, delta]) : [tf.grad((ww: tf.Tensor) => f(ww, delta))(w), undefined];
        const base = tf.sum(tf.abs(tf.slice(gw, [0, 0, 0, 0], [-1, -1, 2, -1]))).dataSync()[0];
        const cond = tf.sum(tf.abs(tf.slice(gw, [0, 0, 2, 0], [-1, -1, -1, -1]))).dataSync()[0];
        expect(base).toBeGreaterThan(1e-3);
        expect(cond).toBeGreaterThan(1e-3);
        if (gd) expect(Math.abs(gd.dataSync()[0])).toBeGreaterThan(1e-6);
      }
    });
  });
});
