// The cpu gated conv that computes the conditional path only at open units
// (kernels/cpuGatedConvSparse.ts, skipClosed) against the dense-then-multiply references:
// the cpu host path (gatedConvHost: Y_c everywhere, × g) and the tf-op path (impl: 'ops':
// tf.conv2d of the split input, tfjs' autodiff). Forward values (bit for bit against the host
// path: the same sums in the same order), gates, saliencies, Δ, densities, and the gradients
// for X and K in both gate-gradient modes, on all-closed, all-open and partial gates, strides
// 1 and 2, odd sizes, both saliencies, 1 and 2 branches, shared and distinct kernels. The wasm
// version (XNNPACK's convs around the same gating) is wasmGatedConv.test.ts.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { gatedConv, type GatedConvOptions } from '../../../src/engine/sparsity/cdgGate';
import { runGatedConv, seededValues, type GatedCase as Case } from '../../../src/bench/gatedConvRun';
import { expectClose, HOST_CASES as CASES } from './gatedConvRuns';
import { cpuForward } from '../../../src/engine/kernels/cpuGatedConvSparse';
import { gateBranches, PooledGate } from '../../../src/engine/kernels/hostGating';

/** Deterministic values in [−1, 1), a third of them 0 (post-ReLU-like zeros take the skip branch). */
const rand = (n: number, seed: number) => seededValues(n, seed, 1 / 3);
/** Two branches' inputs and kernels (2×6×6×8, 3×3×8×4) and a loss weighting (2×6×6×4), seeded from `seed`. */
const twoBranches = (seed: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] => [
  tf.tensor4d(rand(2 * 6 * 6 * 8, seed), [2, 6, 6, 8]),
  tf.tensor4d(rand(2 * 6 * 6 * 8, seed + 1), [2, 6, 6, 8]),
  tf.tensor4d(rand(3 * 3 * 8 * 4, seed + 2), [3, 3, 8, 4]),
  tf.tensor4d(rand(3 * 3 * 8 * 4, seed + 3), [3, 3, 8, 4]),
  tf.tensor4d(rand(2 * 6 * 6 * 4, seed + 4), [2, 6, 6, 4]),
];
/** The shared gated-conv run on such values. */
const evaluate = (c: Case, opts: GatedConvOptions) => runGatedConv(c, opts, 1 / 3);



describe('gated conv computing the conditional path only where needed (cpu, skipClosed)', () => {
  for (const gateGradient of ['detached', 'ste'] as const) {
    it(`matches the dense-then-multiply host path and the tf-op path, ${gateGradient}`, async () => {
      for (const [ci, c] of CASES.entries()) {
        const label = `case ${ci} ${gateGradient}`;
        const sparse = await evaluate(c, { gateGradient, skipClosed: true });
        const host = await evaluate(c, { gateGradient });
        const ops = await evaluate(c, { gateGradient, impl: 'ops' });
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

  it('a branch no loss reaches (BYOL’s target) gets zero gradients; the other branch’s match the tf-op path', () => {
    // Two branches with their own kernels, pooled into one gate; the loss reads branch 0 only.
    const [x0, x1, w0, w1, r] = twoBranches(11);
    for (const gateGradient of ['ste', 'detached'] as const) {
      const grads = (opts: GatedConvOptions) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          tf.sum(tf.mul(gatedConv([a as tf.Tensor4D, b as tf.Tensor4D], [c as tf.Tensor4D, d as tf.Tensor4D], { density: 0.5, stride: 1, gateGradient, ...opts }).ys[0], r)),
        )([x0, x1, w0, w1]);
      const sparse = grads({ skipClosed: true });
      const ops = grads({ impl: 'ops' });
      expectClose(sparse[0].dataSync(), ops[0].dataSync(), 2e-5, `${gateGradient} dX 0`);
      expectClose(sparse[2].dataSync(), ops[2].dataSync(), 2e-5, `${gateGradient} dK 0`);
      for (const i of [1, 3]) {
        expect(Array.from(sparse[i].dataSync()).every((v) => v === 0), `${gateGradient} grad ${i} is 0`).toBe(true);
        expect(Array.from(ops[i].dataSync()).every((v) => v === 0), `${gateGradient} ops grad ${i} is 0`).toBe(true);
      }
      tf.dispose([...sparse, ...ops]);
    }
    tf.dispose([x0, x1, w0, w1, r]);
  });

  it('a forward-only branch computes its conditional path at open units only, with ste too: same outputs, same gradients elsewhere', () => {
    const [x0, x1, w0, w1, r] = twoBranches(21);
    const run = (forwardOnly?: boolean[], lossOn = 0) => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
        const ys = gatedConv([a as tf.Tensor4D, b as tf.Tensor4D], [c as tf.Tensor4D, d as tf.Tensor4D], { density: 0.4, stride: 1, gateGradient: 'ste', skipClosed: true, forwardOnly }).ys;
        return tf.sum(tf.mul(ys[lossOn], r));
      };
      return tf.grads(f)([x0, x1, w0, w1]);
    };
    const ys = (forwardOnly?: boolean[]) => gatedConv([x0, x1], [w0, w1], { density: 0.4, stride: 1, gateGradient: 'ste', skipClosed: true, forwardOnly }).ys;
    const [plain, flagged] = [ys(), ys([false, true])];
    // Y = Y_b + g ⊙ Y_c: a closed unit never shows Y_c, so the outputs are the same bit for bit.
    plain.forEach((y, i) => expect(Array.from(flagged[i].dataSync()), `y ${i}`).toEqual(Array.from(y.dataSync())));
    const [a, b] = [run(), run([false, true])];
    a.forEach((g, i) => expect(Array.from(b[i].dataSync()), `grad ${i}`).toEqual(Array.from(g.dataSync())));
    // A gradient that reaches a branch given as forward-only is refused, not computed wrong.
    expect(() => run([false, true], 1)).toThrow(/forward-only, but a gradient reaches it/);

    // The work itself: under 'ste' the trained branch's Y_c is computed at closed units too,
    // the forward-only branch's only at open ones (0 at every closed unit).
    const { branches, distinct, n } = gateBranches([x0, x1], [w0, w1], 1, 1);
    const per = branches[0].g.K;
    const pool = new PooledGate(n, branches[0].g.OH * branches[0].g.OW, 1, per, 0.4);
    const f = cpuForward(2, 1, false, [false, true])([x0, x1], distinct, branches, pool);
    branches.forEach((br, i) => pool.saliency(f.base(i, br), br.o));
    pool.select(5);
    const ycs = branches.map((br, i) => f.cond(i, br));
    const atClosed = (i: number) => {
      let nonzero = 0;
      let closed = 0;
      for (let v = 0; v < branches[i].m; v++) {
        if (pool.gate[branches[i].o + v] !== 0) continue;
        closed++;
        for (let j = 0; j < per; j++) if (ycs[i][v * per + j] !== 0) nonzero++;
      }
      return { closed, nonzero };
    };
    expect(atClosed(1).closed).toBeGreaterThan(0);
    expect(atClosed(1).nonzero).toBe(0);
    expect(atClosed(0).nonzero).toBeGreaterThan(0);
    tf.dispose([...plain, ...flagged, ...a, ...b, x0, x1, w0, w1, r]);
  });

  it('at gate density 0 under ste, Y_c is computed nowhere (no gate gradient needs it), and the gradients are the masked reference\'s', () => {
    const [x0, x1, w0, w1, r] = twoBranches(23);
    const { branches, distinct, n } = gateBranches([x0, x1], [w0, w1], 1, 1);
    const per = branches[0].g.K;
    const pool = new PooledGate(n, branches[0].g.OH * branches[0].g.OW, 1, per, 0);
    const f = cpuForward(2, 1, false)([x0, x1], distinct, branches, pool);
    branches.forEach((br, i) => pool.saliency(f.base(i, br), br.o));
    pool.select(5);
    expect(pool.gate.every((g) => g === 0)).toBe(true);
    for (const [i, br] of branches.entries()) expect(f.cond(i, br).every((v) => v === 0), `branch ${i}`).toBe(true);
    // The result and every gradient as the dense-everywhere host path (gatedConvHost) gives them.
    const grads = (skipClosed: boolean) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
        const ys = gatedConv([a as tf.Tensor4D, b as tf.Tensor4D], [c as tf.Tensor4D, d as tf.Tensor4D], { density: 0, stride: 1, gateGradient: 'ste', skipClosed }).ys;
        return tf.add(tf.sum(tf.mul(ys[0], r)), tf.sum(tf.mul(ys[1], r)));
      })([x0, x1, w0, w1]);
    const [fast, ref] = [grads(true), grads(false)];
    fast.forEach((g, i) => expectClose(g.dataSync(), ref[i].dataSync(), 1e-5, `grad ${i}`));
    tf.dispose([...fast, ...ref, x0, x1, w0, w1, r]);
  });

  it('no tensors leak across forward and backward passes', async () => {
    await evaluate(CASES[1], { skipClosed: true, gateGradient: 'detached' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await evaluate(CASES[1], { skipClosed: true, gateGradient: 'detached' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
