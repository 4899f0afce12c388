// The row-sparse conv kernels (kernels/cpuSparseConv.ts) and the masked conv op built on
// them (nn/maskedConv.ts) against a direct float64 convolution written out here: forward,
// input gradient and weight gradient of conv(x, W ⊙ M), on random shapes (odd sizes,
// strides 1 and 2, 1×1 and 3×3 kernels, 'same' padding) and every mask kind SyncCP makes:
// N:M with tails (C not a multiple of M), whole output channels, unstructured, density 0
// and 1.
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPACT_BELOW, maskedConv2d, maskedConvPath, usesSparseKernel } from '../../../src/engine/nn/maskedConv';
import { gatherKept, rowSparsePattern, scatterKept } from '../../../src/engine/kernels/cpuSparseConv';
import { Rng } from '../../../src/engine/random';
import { referenceMaskedConv as reference, samePad, type MaskedConvCase as Case } from './maskedConvReference';

type MaskKind = 'nm' | 'channel' | 'unstructured' | 'empty' | 'full';

/** A 0/1 mask [F, F, C, K] of the given kind (N:M: N of every M input channels per tap and output; the tail group keeps min(N, its size)). */
function makeMask(kind: MaskKind, F: number, C: number, K: number, rand: () => number, n = 2, M = 4): Float32Array {
  const m = new Float32Array(F * F * C * K);
  const at = (t: number, ch: number, k: number) => (t * C + ch) * K + k;
  for (let t = 0; t < F * F; t++)
    for (let k = 0; k < K; k++) {
      if (kind === 'nm') {
        for (let g = 0; g < C; g += M) {
          const size = Math.min(M, C - g);
          const order = Array.from({ length: size }, (_, i) => i).sort(() => rand() - 0.5);
          for (const i of order.slice(0, Math.min(n, size))) m[at(t, g + i, k)] = 1;
        }
      } else
        for (let ch = 0; ch < C; ch++) m[at(t, ch, k)] = kind === 'full' ? 1 : kind === 'empty' ? 0 : kind === 'unstructured' ? (rand() < 0.3 ? 1 : 0) : 0;
    }
  if (kind === 'channel') {
    const keep = Array.from({ length: K }, () => rand() < 0.5);
    for (let i = 0; i < m.length; i++) m[i] = keep[i % K] ? 1 : 0;
  }
  return m;
}

/** Uniform [0, 1) draws from the engine's seeded generator. */
function uniforms(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

function caseOf(seed: number, kind: MaskKind): Case {
  const rand = uniforms(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const B = pick(1, 3), H = pick(1, 7), W = pick(1, 7), C = pick(1, 11), K = pick(1, 9);
  const F = rand() < 0.7 ? 3 : 1;
  const stride = rand() < 0.5 ? 1 : 2;
  // Inputs with exact zeros (post-ReLU), which the kernels skip.
  const x = Float32Array.from({ length: B * H * W * C }, () => (rand() < 0.4 ? 0 : rand() * 2 - 1));
  const w = Float32Array.from({ length: F * F * C * K }, () => rand() * 2 - 1);
  const m = makeMask(kind, F, C, K, rand);
  const ph = samePad(H, F, stride);
  const pw = samePad(W, F, stride);
  const r = Float32Array.from({ length: B * ph.out * pw.out * K }, () => rand() * 2 - 1);
  return { B, H, W, C, K, F, stride, x, w, m, r };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > 1e-4 * (1 + Math.abs(expected[i]))) {
      throw new Error(`${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const KINDS: MaskKind[] = ['nm', 'channel', 'unstructured', 'empty', 'full'];

describe('row-sparse conv (cpu) against a direct float64 convolution of x and W ⊙ M', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    // Otherwise the op would take the masked dense path and the comparisons below would test tfjs.
    expect(usesSparseKernel(tf.ones([1, 1, 1, 1]), 'always')).toBe(true);
  });

  // 'always': the row-sparse kernels in all three passes; 'auto': what a run takes (rows with the
  // dense forward above CPU_ROWS_FORWARD_BELOW, compact, or dense).
  for (const mode of ['always', 'auto'] as const)
  for (const kind of KINDS) {
    it(`${kind} masks, ${mode}: forward, dx and dW (dW zero off the mask)`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
          const c = caseOf(seed, kind);
          const ref = reference(c);
          tf.tidy(() => {
            const x = tf.tensor4d(c.x, [c.B, c.H, c.W, c.C]);
            const w = tf.tensor4d(c.w, [c.F, c.F, c.C, c.K]);
            const m = tf.tensor4d(c.m, [c.F, c.F, c.C, c.K]);
            const r = tf.tensor(c.r);
            const loss = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.reshape(maskedConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, m, c.stride, mode), [-1]), r));
            expectClose(maskedConv2d(x, w, m, c.stride, mode).dataSync(), ref.y, 'y');
            const [dx, dw] = tf.grads(loss)([x, w]);
            expectClose(dx.dataSync(), ref.dx, 'dx');
            const dwv = dw.dataSync();
            expectClose(dwv, ref.dw, 'dW');
            for (let i = 0; i < dwv.length; i++) if (c.m[i] === 0) expect(Math.abs(dwv[i])).toBe(0); // -0 from the dense path is 0
          });
        }),
        { numRuns: 25 },
      );
    });
  }

  it('channel masks in auto mode take the compact conv over the kept outputs, with the same values and gradients', () => {
    let compact = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const c = caseOf(seed, 'channel');
        const ref = reference(c);
        tf.tidy(() => {
          const x = tf.tensor4d(c.x, [c.B, c.H, c.W, c.C]);
          const w = tf.tensor4d(c.w, [c.F, c.F, c.C, c.K]);
          const m = tf.tensor4d(c.m, [c.F, c.F, c.C, c.K]);
          const keptOut = new Set(Array.from(c.m.keys()).filter((i) => c.m[i] === 1).map((i) => i % c.K)).size;
          const path = maskedConvPath(m, 'auto');
          if (keptOut > 0 && keptOut <= COMPACT_BELOW * c.K) {
            expect(path).toBe('compact');
            compact++;
          }
          const r = tf.tensor(c.r);
          const loss = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.reshape(maskedConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, m, c.stride, 'auto'), [-1]), r));
          expectClose(maskedConv2d(x, w, m, c.stride, 'auto').dataSync(), ref.y, 'y');
          const [dx, dw] = tf.grads(loss)([x, w]);
          expectClose(dx.dataSync(), ref.dx, 'dx');
          expectClose(dw.dataSync(), ref.dw, 'dW');
        });
      }),
      { numRuns: 30 },
    );
    expect(compact).toBeGreaterThan(5);
  });

  it('with live inputs (the others exact zeros) the compact conv skips the dead channels: y and dW as the reference, dx on the live channels, 0 on the skipped dead', () => {
    let compact = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.constantFrom<MaskKind>('channel', 'full'), (seed, kind) => {
        const c = caseOf(seed, kind);
        const rand = uniforms(seed + 1);
        const dead = Array.from({ length: c.C }, () => rand() < 0.5);
        for (let i = 0; i < c.x.length; i++) if (dead[i % c.C]) c.x[i] = 0;
        const live = Int32Array.from(Array.from({ length: c.C }, (_, ch) => ch).filter((ch) => !dead[ch]));
        const ref = reference(c);
        tf.tidy(() => {
          const x = tf.tensor4d(c.x, [c.B, c.H, c.W, c.C]);
          const w = tf.tensor4d(c.w, [c.F, c.F, c.C, c.K]);
          const m = tf.tensor4d(c.m, [c.F, c.F, c.C, c.K]);
          const skips = live.length > 0 && maskedConvPath(m, 'auto', live) === 'compact';
          if (skips) compact++;
          const r = tf.tensor(c.r);
          const loss = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.reshape(maskedConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, m, c.stride, 'auto', live), [-1]), r));
          expectClose(maskedConv2d(x, w, m, c.stride, 'auto', live).dataSync(), ref.y, 'y');
          const [dx, dw] = tf.grads(loss)([x, w]);
          expectClose(dw.dataSync(), ref.dw, 'dW');
          const dxv = dx.dataSync();
          // Skipped channels get dx 0 (their upstream gradient is 0: ReLU(0) after a masked BN).
          const expected = Float64Array.from(ref.dx, (v, i) => (skips && dead[i % c.C] ? 0 : v));
          expectClose(dxv, expected, 'dx');
        });
      }),
      { numRuns: 40 },
    );
    expect(compact).toBeGreaterThan(10);
  });

  it('the pattern lists exactly the kept weights, row by row, and gather/scatter round-trip W ⊙ M', () => {
    const rand = uniforms(7);
    const m = makeMask('nm', 3, 6, 5, rand);
    const w = Float32Array.from({ length: m.length }, (_, i) => i + 1);
    const p = rowSparsePattern(m, 5);
    expect(p.rows).toBe(3 * 3 * 6);
    // 2:4 over 6 channels: groups of 4 and 2 keep 2 each, so 4 of 6 per tap and output.
    expect(p.cols.length).toBe(9 * 4 * 5);
    expect(p.density).toBeCloseTo(4 / 6, 12);
    const back = scatterKept(gatherKept(w, p), p);
    for (let i = 0; i < m.length; i++) expect(back[i]).toBe(m[i] ? w[i] : 0);
  });

  // Found by a cpu-kernels hunt: the same for a NaN in dy (a step whose loss is finite and
  // gradients not): the sparse loops skip zero inputs and pruned weights, so dW and dx came out
  // 0 where the masked dense conv's gradients are NaN.
  it('a NaN in dy: both gradients are the masked dense conv\'s, NaN where they are', () => {
    const [C, K] = [4, 4];
    const xv = Float32Array.from({ length: 16 * C }, (_, i) => (i % 3 === 0 ? 0 : ((i * 5) % 7) / 7 - 0.5));
    const x = tf.tensor4d(xv, [1, 4, 4, C]);
    const w = tf.tensor4d(Float32Array.from({ length: 9 * C * K }, (_, i) => ((i * 7) % 11) / 11 - 0.5), [3, 3, C, K]);
    const mask = tf.tensor4d(Float32Array.from({ length: 9 * C * K }, (_, i) => (i % K === 0 ? 1 : 0)), [3, 3, C, K]);
    const dyv = Float32Array.from({ length: 16 * K }, (_, i) => ((i * 3) % 5) / 5 - 0.4);
    dyv[5] = NaN; // location (0, 1), output channel 1: pruned
    dyv[8] = Number.POSITIVE_INFINITY; // location (0, 2), output channel 0: kept
    const dy = tf.tensor4d(dyv, [1, 4, 4, K]);
    const text = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync(), (v) => (Number.isFinite(v) ? v.toFixed(4) : String(v))));
    const want = tf.tidy(() => text(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, tf.mul(b, mask) as tf.Tensor4D, 1, 'same'))([x, w], dy)));
    expect(want.flat().some((v) => v === 'NaN')).toBe(true);
    for (const mode of ['auto', 'always'] as const) {
      const got = tf.tidy(() => text(tf.grads((a: tf.Tensor, b: tf.Tensor) => maskedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, mask, 1, mode))([x, w], dy)));
      expect(got, mode).toEqual(want);
    }
    tf.dispose([x, w, mask, dy]);
  });

  // Found by a kernels hunt: the compact and row-sparse convs never read a pruned weight and
  // skip zero inputs, so a NaN weight gave zeros where the masked dense conv gives NaN.
  it('a NaN weight (pruned or kept) takes the masked dense conv: the output is the reference\'s, NaN where it is', () => {
    const [C, K] = [4, 4];
    const x = tf.zeros([1, 4, 4, C]) as tf.Tensor4D;
    const wv = Float32Array.from({ length: 9 * C * K }, (_, i) => ((i * 7) % 11) / 11 - 0.5);
    wv[0] = NaN; // tap (0, 0), channel 0, output 0
    const w = tf.tensor4d(wv, [3, 3, C, K]);
    // Output channel 0 kept alone: the compact path (auto); the row-sparse one (always).
    const mask = tf.tensor4d(Float32Array.from({ length: 9 * C * K }, (_, i) => (i % K === 0 ? 1 : 0)), [3, 3, C, K]);
    expect(maskedConvPath(mask, 'auto')).toBe('compact');
    const want = tf.tidy(() => tf.conv2d(x, tf.mul(w, mask) as tf.Tensor4D, 1, 'same')).dataSync();
    expect(Array.from(want).some(Number.isNaN)).toBe(true);
    for (const mode of ['auto', 'always'] as const) {
      const got = tf.tidy(() => maskedConv2d(x, w, mask, 1, mode)).dataSync();
      expect(Array.from(got).map(String), mode).toEqual(Array.from(want).map(String));
    }
    tf.dispose([x, w, mask]);
  });

  it('refuses a mask that does not fit the kernel, and leaks no tensors', () => {
    expect(() => rowSparsePattern(new Float32Array(7), 2)).toThrow(/not a multiple/);
    const c = caseOf(3, 'nm');
    const x = tf.tensor4d(c.x, [c.B, c.H, c.W, c.C]);
    const w = tf.variable(tf.tensor4d(c.w, [c.F, c.F, c.C, c.K]));
    const m = tf.tensor4d(c.m, [c.F, c.F, c.C, c.K]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(maskedConv2d(x, w, m, c.stride, 'always')) as tf.Scalar, [w]);
      value.dispose();
      tf.dispose(grads);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, m]);
  });
});
