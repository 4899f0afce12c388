// The WebGPU sparse masked conv (kernels/webgpuSparseConv.ts, taken by nn/maskedConv.ts on
// webgpu) against two references: the masked dense conv on the same backend
// (tf.conv2d(x, W ⊙ M), tfjs' own programs and autodiff) and a direct float64 convolution
// written out here. Forward, dx and dW (zero off the mask) on random shapes — odd sizes,
// strides 1 and 2, 1×1 and 3×3 kernels, 'same' padding, C_in not a multiple of M — for
// every mask SyncCP makes: 2:4 (tail groups kept as the masker keeps them), 2:4 ramp layers
// (a fraction of the groups dense), whole output channels, unstructured, density 0 and 1.
// Dawn in Node (SwiftShader without a GPU); skipped where there is no WebGPU adapter.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuSparsePattern } from '../../../src/engine/kernels/webgpuSparseConv';
import { maskedConv2d, maskedConvPath } from '../../../src/engine/nn/maskedConv';
import { rememberMaskValues } from '../../../src/engine/nn/maskValues';
import { Rng } from '../../../src/engine/random';
import { referenceMaskedConv as reference, samePad, type MaskedConvCase as Case } from './maskedConvReference';
import { startTestWebGPU } from '../helpers/webgpu';

type Kind = 'nm' | 'nm-ramp' | 'channel' | 'unstructured' | 'empty' | 'full';

/**
 * A 0/1 mask [F, F, C, K]: 'nm' keeps 2 of every 4 input channels per tap and output (a tail
 * group of 1–3 keeps min(2, its size)); 'nm-ramp' makes about half of those groups dense.
 */
function makeMask(kind: Kind, F: number, C: number, K: number, rng: Rng): Float32Array {
  const m = new Float32Array(F * F * C * K);
  const at = (t: number, ch: number, k: number) => (t * C + ch) * K + k;
  const keepK = Array.from({ length: K }, () => rng.next() < 0.5);
  for (let t = 0; t < F * F; t++)
    for (let k = 0; k < K; k++)
      for (let g = 0; g < C; g += 4) {
        const size = Math.min(4, C - g);
        const dense = kind === 'full' || (kind === 'nm-ramp' && rng.next() < 0.5) || (kind === 'channel' && keepK[k]);
        const order = Array.from({ length: size }, (_, i) => i).sort(() => rng.next() - 0.5);
        for (let i = 0; i < size; i++) {
          const keep = dense || ((kind === 'nm' || kind === 'nm-ramp') && order.indexOf(i) < 2) || (kind === 'unstructured' && rng.next() < 0.3);
          m[at(t, g + i, k)] = keep ? 1 : 0;
        }
      }
  return m;
}

function caseOf(seed: number, kind: Kind): Case {
  const rng = new Rng(seed);
  const pick = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  const B = pick(1, 3), H = pick(1, 7), W = pick(1, 7), C = pick(1, 11), K = pick(1, 9);
  const F = rng.next() < 0.7 ? 3 : 1;
  const stride = rng.next() < 0.5 ? 1 : 2;
  const x = Float32Array.from({ length: B * H * W * C }, () => (rng.next() < 0.4 ? 0 : rng.next() * 2 - 1));
  const w = Float32Array.from({ length: F * F * C * K }, () => rng.next() * 2 - 1);
  const m = makeMask(kind, F, C, K, rng);
  const r = Float32Array.from({ length: B * samePad(H, F, stride).out * samePad(W, F, stride).out * K }, () => rng.next() * 2 - 1);
  return { B, H, W, C, K, F, stride, x, w, m, r };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    if (Math.abs(actual[i] - expected[i]) > 1e-4 * (1 + Math.abs(expected[i]))) throw new Error(`${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
}

describe('gpuSparsePattern (host side)', () => {
  it('lists exactly the kept weights in forward rows (tap, output) and transposed rows (tap, input channel)', () => {
    for (const [seed, kind] of [[1, 'nm'], [2, 'nm-ramp'], [3, 'channel'], [4, 'unstructured'], [5, 'empty'], [6, 'full']] as [number, Kind][]) {
      const rng = new Rng(seed);
      const [F, C, K] = [3, 7, 5];
      const m = makeMask(kind, F, C, K, rng);
      const p = gpuSparsePattern(m, [F, F, C, K]);
      const o = p.offsets;
      const kept = new Set(Array.from(m.keys()).filter((i) => m[i] === 1));
      expect(p.nnz, kind).toBe(kept.size);
      const seen = new Set<number>();
      for (let t = 0; t < F * F; t++)
        for (let k = 0; k < K; k++)
          for (let j = p.index[o.fstart + t * K + k]; j < p.index[o.fstart + t * K + k + 1]; j++) {
            const pos = p.index[o.fpos + j];
            expect(pos, kind).toBe((t * C + p.index[o.fchan + j]) * K + k);
            seen.add(pos);
          }
      expect([...seen].sort((a, b) => a - b), kind).toEqual([...kept].sort((a, b) => a - b));
      for (let t = 0; t < F * F; t++)
        for (let c = 0; c < C; c++)
          for (let e = p.index[o.bstart + t * C + c]; e < p.index[o.bstart + t * C + c + 1]; e++)
            expect(p.index[o.fpos + p.index[o.bslot + e]], kind).toBe((t * C + c) * K + p.index[o.bout + e]);
    }
  });

  it('rows have one constant length for pure 2:4 with C % 4 = 0 (the N:M shader variant), none otherwise', () => {
    const rng = new Rng(9);
    expect(gpuSparsePattern(makeMask('nm', 3, 8, 6, rng), [3, 3, 8, 6]).rowLen).toBe(4);
    expect(gpuSparsePattern(makeMask('full', 1, 8, 6, rng), [1, 1, 8, 6]).rowLen).toBe(8);
    // A tail of 3 channels keeps 2: still 2 of 4 + 2 of 3, constant.
    expect(gpuSparsePattern(makeMask('nm', 3, 7, 6, rng), [3, 3, 7, 6]).rowLen).toBe(4);
    expect(gpuSparsePattern(makeMask('nm-ramp', 3, 16, 6, rng), [3, 3, 16, 6]).rowLen).toBe(-1);
  });
});

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

describe.skipIf(!haveWebGPU)('WebGPU sparse masked conv against the masked dense conv and a float64 reference', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  async function run(c: Case, mode: 'off' | 'always', withHost = true) {
    const x = tf.tensor4d(c.x, [c.B, c.H, c.W, c.C]);
    const w = tf.tensor4d(c.w, [c.F, c.F, c.C, c.K]);
    const mt = tf.tensor4d(c.m, [c.F, c.F, c.C, c.K]);
    const m = withHost ? rememberMaskValues(mt, c.m) : mt;
    const r = tf.tensor(c.r);
    const path = maskedConvPath(m, mode);
    const out = tf.tidy(() => {
      const conv = (xi: tf.Tensor, wi: tf.Tensor) => maskedConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, m, c.stride, mode);
      const y = conv(x, w);
      const [dx, dw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.reshape(conv(xi, wi), [-1]), r)))([x, w]);
      return [y, dx, dw];
    });
    const [y, dx, dw] = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([x, w, m, r, ...out]);
    return { path, y, dx, dw };
  }

  it('a mask update that keeps fewer weights compiles no new pipeline within a power of two of them (the ramp updates every few steps)', async () => {
    const pipelines = () => Object.keys((tf.backend() as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache).length;
    const kept = (m: Float32Array) => m.reduce((a, b) => a + b, 0);
    const bucket = (n: number) => Math.ceil(Math.log2(n));
    // One layer's shape, masks of different density as successive updates of a ramp make them.
    const base = caseOf(77, 'unstructured');
    const drop = (m: Float32Array, n: number) => {
      const out = m.slice();
      for (let i = 0, left = n; i < out.length && left > 0; i++) if (out[i] === 1) (out[i] = 0), left--;
      return out;
    };
    // Fewer kept weights in the same power of two as base, then in the next one down.
    const n0 = kept(base.m);
    const sameBucket = { ...base, m: drop(base.m, Math.max(1, Math.floor((n0 - 2 ** (bucket(n0) - 1)) / 2))) };
    const lowerBucket = { ...base, m: drop(base.m, n0 - 2 ** (bucket(n0) - 1) + 1) };
    expect([bucket(kept(sameBucket.m)), bucket(kept(lowerBucket.m))]).toEqual([bucket(n0), bucket(n0) - 1]);
    await run(base, 'always');
    const compiled = pipelines();
    const again = await run(sameBucket, 'always');
    expect(again.path).toBe('wgsl');
    expect(pipelines()).toBe(compiled);
    // Crossing a power of two: one program of each kind (gather, conv, dv, dW, dx), once.
    await run(lowerBucket, 'always');
    expect(pipelines()).toBe(compiled + 5);
    const sparser = sameBucket;
    // And still right.
    const ref = reference(sparser);
    expectClose(again.y, ref.y, 'y');
    expectClose(again.dx, ref.dx, 'dx');
    expectClose(again.dw, ref.dw, 'dW');
  });

  const kinds: Kind[] = ['nm', 'nm-ramp', 'channel', 'unstructured', 'empty', 'full'];
  for (const kind of kinds) {
    it(`${kind} masks: forward, dx and dW (zero off the mask) on 5 random shapes`, async () => {
      const before = tf.memory().numTensors;
      for (let seed = 1; seed <= 5; seed++) {
        const c = caseOf(1000 * kinds.indexOf(kind) + seed, kind);
        const label = `${kind} seed ${seed} [${c.B},${c.H},${c.W},${c.C}]→${c.K} ${c.F}×${c.F}/${c.stride}`;
        const ref = reference(c);
        const sparse = await run(c, 'always');
        const dense = await run(c, 'off');
        expect(sparse.path, label).toBe('wgsl');
        expect(dense.path, label).toBe('dense');
        for (const [got, want, what] of [[sparse.y, ref.y, 'y'], [sparse.dx, ref.dx, 'dx'], [sparse.dw, ref.dw, 'dW']] as const) expectClose(got, want, `${label} ${what} vs float64`);
        for (const [got, want, what] of [[sparse.y, dense.y, 'y'], [sparse.dx, dense.dx, 'dx'], [sparse.dw, dense.dw, 'dW']] as const) expectClose(got, want, `${label} ${what} vs masked dense`);
        for (let i = 0; i < c.m.length; i++) if (c.m[i] === 0) expect(sparse.dw[i], `${label} dW off the mask`).toBe(0);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a mask without a host copy stays on the masked dense conv (no readback to find its layout)', async () => {
    const c = caseOf(77, 'nm');
    const res = await run(c, 'always', false);
    expect(res.path).toBe('dense');
    expectClose(res.y, reference(c).y, 'y');
  });
});
