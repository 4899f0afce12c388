// The quantile gate's exact selection on the host (topKGate, and the cpu/wasm gated conv
// built on it) against a brute-force sort reference and against the tf-op formulation
// that GPU backends run (topk + scatter, broadcast multiplies), on random inputs with ties.
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dualGate, gatedConv, topKGate } from '../../../src/engine/sparsity/cdgGate';

/** Brute force: order all (value, index) by value descending then index ascending; open the first k. */
function reference(values: number[], k: number): { gate: number[]; delta: number } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => (b[0] !== a[0] ? b[0] - a[0] : a[1] - b[1]));
  const gate = values.map(() => 0);
  for (let j = 0; j < k; j++) gate[order[j][1]] = 1;
  return { gate, delta: Math.fround((order[k - 1][0] + order[k][0]) / 2) };
}

// Few distinct values so that ties are common, including at the boundary.
const tiedValues = fc.array(fc.integer({ min: -3, max: 3 }).map((v) => Math.fround(v * 0.37)), { minLength: 2, maxLength: 80 });

describe('topKGate', () => {
  it('opens exactly the k largest, ties by lower index, Δ midway at the boundary (vs a sort)', () => {
    fc.assert(
      fc.property(tiedValues, fc.nat(), (values, kPick) => {
        const k = 1 + (kPick % (values.length - 1));
        const got = topKGate(Float32Array.from(values), k);
        const ref = reference(values, k);
        expect(Array.from(got.gate)).toEqual(ref.gate);
        expect(got.delta).toBe(ref.delta);
      }),
      { numRuns: 500 },
    );
  });

  it('continuous values, k near 0 and n', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }), { minLength: 2, maxLength: 300 }), fc.boolean(), (values, low) => {
        const v = values.map(Math.fround);
        const k = low ? 1 : v.length - 1;
        expect(Array.from(topKGate(Float32Array.from(v), k).gate)).toEqual(reference(v, k).gate);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses k outside (0, n)', () => {
    expect(() => topKGate([1, 2, 3], 0)).toThrow(/k must be/);
    expect(() => topKGate([1, 2, 3], 3)).toThrow(/k must be/);
  });
});

describe('host (cpu/wasm) and tf-op formulations agree', () => {
  it('dualGate: same gates on tied saliencies, same surrogate gradient', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2 * 2 * 3 * 3, maxLength: 2 * 2 * 3 * 3 }), fc.integer({ min: 1, max: 99 }), (ints, pct) => {
        tf.tidy(() => {
          const s = ints.map((v) => v * 0.5);
          const a = tf.tensor4d(s.slice(0, 18), [2, 3, 3, 1]);
          const b = tf.tensor4d(s.slice(18), [2, 3, 3, 1]);
          const c = tf.tensor4d(s.map((_, i) => Math.cos(i)), [4, 3, 3, 1]);
          const run = (impl: 'auto' | 'ops') => {
            const gates = dualGate([a, b], { density: pct / 100, impl });
            const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.concat(dualGate([x as tf.Tensor4D, y as tf.Tensor4D], { density: pct / 100, impl }), 0), c)) as tf.Scalar)([a, b]);
            return { g: gates.flatMap((t) => Array.from(t.dataSync())), d: grads.flatMap((t) => Array.from(t.dataSync())) };
          };
          const host = run('auto');
          const ops = run('ops');
          expect(host.g).toEqual(ops.g);
          host.d.forEach((v, i) => expect(v).toBeCloseTo(ops.d[i], 6));
        });
      }),
      { numRuns: 60 },
    );
  });

  const cases = [
    { saliency: 'spatial' as const, cin: 8, cout: 6, stride: 1, shared: true },
    { saliency: 'spatial' as const, cin: 7, cout: 4, stride: 2, shared: false },
    { saliency: 'channel-group' as const, cin: 9, cout: 8, stride: 1, shared: true },
  ];
  for (const c of cases) {
    it(`gatedConv ${c.saliency}, C_in ${c.cin}, stride ${c.stride}, ${c.shared ? 'one kernel' : 'a kernel a branch'}: forward bit for bit, gradients to rounding`, () => {
      for (const density of [0, 0.13, 0.4, 0.77, 1]) {
        tf.tidy(() => {
          const xs = [0, 1].map((i) => tf.randomNormal([3, 6, 6, c.cin], 0, 1, 'float32', 10 + i) as tf.Tensor4D);
          const w1 = tf.randomNormal([3, 3, c.cin, c.cout], 0, 1, 'float32', 20) as tf.Tensor4D;
          const w2 = c.shared ? w1 : (tf.randomNormal([3, 3, c.cin, c.cout], 0, 1, 'float32', 21) as tf.Tensor4D);
          const up = tf.randomNormal([6, Math.ceil(6 / c.stride), Math.ceil(6 / c.stride), c.cout], 0, 1, 'float32', 30);
          const opts = { beta: 0.25, density, saliency: c.saliency, groups: 4, stride: c.stride };
          const run = (impl: 'auto' | 'ops') => {
            const r = gatedConv(xs, [w1, w2], { ...opts, impl });
            const loss = (a: tf.Tensor, b: tf.Tensor, u: tf.Tensor, v: tf.Tensor) =>
              tf.sum(tf.mul(tf.concat(gatedConv([a as tf.Tensor4D, b as tf.Tensor4D], [u as tf.Tensor4D, v as tf.Tensor4D], { ...opts, impl }).ys, 0), up)) as tf.Scalar;
            const g = tf.grads(loss)([xs[0], xs[1], w1, w2]);
            return {
              y: r.ys.flatMap((t) => Array.from(t.dataSync())),
              gates: r.gates.flatMap((t) => Array.from(t.dataSync())),
              sal: r.saliency.flatMap((t) => Array.from(t.dataSync())),
              dens: [r.density.dataSync()[0], ...r.branchDensity.dataSync()],
              grads: g.map((t) => Array.from(t.dataSync())),
            };
          };
          const host = run('auto');
          const ops = run('ops');
          expect(host.y).toEqual(ops.y);
          expect(host.gates).toEqual(ops.gates);
          expect(host.sal).toEqual(ops.sal);
          host.dens.forEach((v, i) => expect(v).toBeCloseTo(ops.dens[i], 6));
          host.grads.forEach((g, j) => {
            const scale = Math.max(1, ...ops.grads[j].map(Math.abs));
            g.forEach((v, i) => expect(Math.abs(v - ops.grads[j][i]) / scale).toBeLessThan(1e-5));
          });
        });
      }
    });
  }
});
