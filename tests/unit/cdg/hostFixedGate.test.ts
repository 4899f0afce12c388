// CDG's evaluation forward on the host backends (kernels/hostFixedGate.ts: each image gated
// alone at a fixed Δ, one forward-only op, Y_c at open units only on cpu) against the tf-op
// path at the same Δ (impl 'ops': tf.conv2d of the split input, tf.greater): the same gates,
// values and saliencies within float32 rounding, on cpu and wasm, over the host cases (odd
// sizes, strides 1 and 2, both saliencies, one and two branches, shared and distinct kernels)
// at Δ = ±∞ and at a Δ between two saliencies; a gradient asked of it throws; no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../../src/engine/kernels/wasmKernels';
import { gatedConv, type GatedConvOptions } from '../../../src/engine/sparsity/cdgGate';
import { seededValues, type GatedCase } from '../../../src/bench/gatedConvRun';
import { expectClose, HOST_CASES } from './gatedConvRuns';

interface Forward {
  ys: Float32Array[];
  gates: Float32Array[];
  sal: Float32Array[];
  density: number;
  delta: number;
  branchDensity: Float32Array;
}

function inputs(c: GatedCase) {
  const xs = Array.from({ length: c.branches }, (_, i) => tf.tensor4d(seededValues(c.b * c.h * c.w * c.cin, 11 + i, 1 / 3), [c.b, c.h, c.w, c.cin]));
  const shape: [number, number, number, number] = [c.f, c.f, c.cin, c.cout];
  const ws = Array.from({ length: c.sharedW ? 1 : c.branches }, (_, i) => tf.tensor4d(seededValues(shape.reduce((a, b) => a * b), 31 + i, 1 / 3), shape));
  return { xs, ws: xs.map((_, i) => ws[c.sharedW ? 0 : i]), distinct: ws };
}

async function forward(c: GatedCase, opts: GatedConvOptions): Promise<Forward> {
  const { xs, ws, distinct } = inputs(c);
  const r = tf.tidy(() => {
    const g = gatedConv(xs, ws, { ...c.opts, ...opts, stride: c.stride });
    return { ys: g.ys, gates: g.gates, sal: g.saliency, density: g.density, delta: g.delta, bd: g.branchDensity };
  });
  const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  const out = { ys: await read(r.ys), gates: await read(r.gates), sal: await read(r.sal), density: (await r.density.data())[0], delta: (await r.delta.data())[0], branchDensity: (await r.bd.data()) as Float32Array };
  tf.dispose([xs, distinct, r.ys, r.gates, r.sal, r.density, r.delta, r.bd]);
  return out;
}

/** A Δ halfway between the two saliencies around the case's density quantile, so no unit sits within float rounding of it. */
function midDelta(sal: Float32Array[], density: number): number {
  const s = [...new Set(sal.flatMap((a) => Array.from(a)))].sort((a, b) => a - b);
  const i = Math.min(s.length - 2, Math.max(0, Math.floor((1 - density) * s.length)));
  let j = i;
  while (j + 1 < s.length - 1 && s[j + 1] - s[j] < 1e-4) j++;
  return (s[j] + s[j + 1]) / 2;
}

const ops = (c: GatedCase, threshold: number) => forward(c, { threshold, impl: 'ops' });
const host = (c: GatedCase, threshold: number) => forward(c, { threshold, skipClosed: true });

function expectSameForward(got: Forward, want: Forward, label: string) {
  got.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i}`).toEqual(Array.from(want.gates[i])));
  got.ys.forEach((y, i) => expectClose(y, want.ys[i], 2e-5, `${label} y ${i}`));
  got.sal.forEach((s, i) => expectClose(s, want.sal[i], 2e-5, `${label} saliency ${i}`));
  expect(got.density, `${label} density`).toBeCloseTo(want.density, 6);
  expect(got.delta, `${label} delta`).toBe(want.delta);
  expectClose(got.branchDensity, want.branchDensity, 1e-6, `${label} branch density`);
}

describe('CDG evaluation gate (fixed Δ) on the host backends', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: the tf-op path's gates, values and saliencies at Δ = −∞, +∞ and between two saliencies`, async () => {
      if (backend === 'wasm') expect(await initWasmBackend()).toMatchObject({ ok: true });
      else await tf.setBackend('cpu');
      const before = tf.memory().numTensors;
      for (const [ci, c] of HOST_CASES.entries()) {
        const probe = await ops(c, -Infinity);
        const mid = midDelta(probe.sal, c.opts.density ?? 0.5);
        for (const delta of [-Infinity, Infinity, mid]) {
          const want = await ops(c, delta);
          const got = await host(c, delta);
          const label = `${backend} case ${ci} Δ ${delta}`;
          expectSameForward(got, want, label);
          if (delta === -Infinity) expect(got.density, label).toBe(1);
          if (delta === Infinity) expect(got.density, label).toBe(0);
        }
        // The mid Δ opens some and closes some: the case tests a partial gate.
        const partial = await host(c, mid);
        expect(partial.density, `case ${ci}`).toBeGreaterThan(0);
        expect(partial.density, `case ${ci}`).toBeLessThan(1);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('refuses a gradient: evaluation trains nothing through it', () => {
    const c = HOST_CASES[0];
    const { xs, ws, distinct } = inputs(c);
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(gatedConv([x as tf.Tensor4D, xs[1]], ws, { ...c.opts, threshold: 0.5, skipClosed: true, stride: c.stride }).ys[0]))(xs[0])).toThrow(/no gradient/);
    tf.dispose([xs, distinct]);
  });
});
