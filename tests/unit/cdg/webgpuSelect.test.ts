// CDG's exact quantile gate as a custom WebGPU program (kernels/webgpuSelect.ts) against a
// brute-force reference (a stable sort by value, NaN as −∞) and the host topKGate: the same
// gate bit for bit, Δ to float32 tolerance, the fused surrogate gradient against its
// formula and against the cpu path, no leaks. Runs on Dawn in Node (SwiftShader without a GPU); skipped where no WebGPU adapter.
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuGateBoundary, webgpuGateSurrogate, webgpuTopKGate } from '../../../src/engine/kernels/webgpuSelect';
import { dualGate, topKGate } from '../../../src/engine/sparsity/cdgGate';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

/** Order (value desc, NaN as −∞; ties by index asc); open the first k; Δ midway. */
function reference(values: Float32Array, k: number): { gate: number[]; delta: number } {
  const key = (v: number) => (Number.isNaN(v) ? -Infinity : v);
  const order = Array.from(values, (v, i) => [key(v), i] as const).sort((a, b) => (b[0] !== a[0] ? (b[0] > a[0] ? 1 : -1) : a[1] - b[1]));
  const gate = Array.from(values, () => 0);
  for (let j = 0; j < k; j++) gate[order[j][1]] = 1;
  return { gate, delta: Math.fround((order[k - 1][0] + order[k][0]) / 2) };
}

async function onGpu(values: Float32Array, k: number, shape = [values.length]) {
  const x = tf.tensor(values, shape, 'float32');
  const g = webgpuTopKGate(x, k);
  const d = webgpuGateBoundary(x, g);
  const out = { gate: Array.from(await g.data()), delta: (await d.data())[0], shape: g.shape };
  tf.dispose([x, g, d]);
  return out;
}

function expectDelta(got: number, want: number) {
  if (!Number.isFinite(want)) expect(got).toBe(want);
  else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
}

// Few distinct values of both signs (ties everywhere, ±0 among them), lengths around and
// across the workgroup size 256 so segments end mid-tie and the last segment is short.
const tied = fc
  .array(fc.constantFrom(-1.5, -0.25, -0, 0, 0.25, 0.5, 3), { minLength: 2, maxLength: 700 })
  .map((a) => Float32Array.from(a));
const special = fc
  .array(fc.constantFrom(Number.NaN, -Infinity, Infinity, -0, 0, 1, -1, 1e-40, -1e-40), { minLength: 2, maxLength: 300 })
  .map((a) => Float32Array.from(a));
const continuous = fc
  .array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 1100 })
  .map((a) => Float32Array.from(a));

describe.skipIf(!haveWebGPU)('webgpuTopKGate (WebGPU program) against a sort and topKGate', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('many ties, ±0, both signs: same gate, Δ midway', async () => {
    await fc.assert(
      fc.asyncProperty(tied, fc.nat(), async (v, kPick) => {
        const k = 1 + (kPick % (v.length - 1));
        const got = await onGpu(v, k);
        const ref = reference(v, k);
        expect(got.gate).toEqual(ref.gate);
        expect(got.gate).toEqual(Array.from(topKGate(v, k).gate));
        expectDelta(got.delta, ref.delta);
      }),
      { numRuns: 60 },
    );
  });

  it('k = 1 and k = n − 1 on continuous values', async () => {
    await fc.assert(
      fc.asyncProperty(continuous, fc.boolean(), async (v, low) => {
        const k = low ? 1 : v.length - 1;
        const got = await onGpu(v, k);
        const ref = reference(v, k);
        expect(got.gate).toEqual(ref.gate);
        expectDelta(got.delta, ref.delta);
      }),
      { numRuns: 40 },
    );
  });

  it('NaN ranks last (as −∞, ties by index), ±∞, subnormals: the gate of topKGate', async () => {
    await fc.assert(
      fc.asyncProperty(special, fc.nat(), async (v, kPick) => {
        const k = 1 + (kPick % (v.length - 1));
        const got = await onGpu(v, k);
        expect(got.gate).toEqual(reference(v, k).gate);
        expect(got.gate).toEqual(Array.from(topKGate(v, k).gate));
      }),
      { numRuns: 40 },
    );
  });

  it('large n (100 003, not a multiple of 256), a 4-D shape, ties at the boundary', async () => {
    const n = 100_003;
    const v = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.round(Math.sin(i * 12.9898) * 43758.5453 % 50) / 7));
    for (const k of [1, 40_001, n - 1]) {
      const got = await onGpu(v, k, [1, 1, 1, n]);
      const ref = reference(v, k);
      expect(got.shape).toEqual([1, 1, 1, n]);
      expect(got.gate.reduce((a, b) => a + b, 0)).toBe(k);
      expect(got.gate).toEqual(ref.gate);
      expectDelta(got.delta, ref.delta);
    }
  });

  it('the fused gradient: dy·α·σ(1 − σ) at α(x − Δ), Δ from the host reference', async () => {
    await fc.assert(
      fc.asyncProperty(tied, fc.nat(), fc.constantFrom(1, 5, 20), async (v, kPick, alpha) => {
        const k = 1 + (kPick % (v.length - 1));
        const dyv = Float32Array.from(v, (_, i) => Math.cos(i * 0.37));
        const x = tf.tensor1d(v);
        const dy = tf.tensor1d(dyv);
        const g = webgpuTopKGate(x, k);
        const dx = webgpuGateSurrogate(x, g, dy, alpha);
        const got = await dx.data();
        tf.dispose([x, dy, g, dx]);
        const { delta } = reference(v, k);
        v.forEach((xv, i) => {
          const sig = 1 / (1 + Math.exp(-alpha * (xv - delta)));
          expect(Math.abs(got[i] - dyv[i] * alpha * sig * (1 - sig))).toBeLessThan(1e-5 * alpha);
        });
      }),
      { numRuns: 30 },
    );
  });

  it('refuses k outside (0, n)', () => {
    const x = tf.tensor1d([1, 2, 3]);
    expect(() => webgpuTopKGate(x, 0)).toThrow(/k must be/);
    expect(() => webgpuTopKGate(x, 3)).toThrow(/k must be/);
    x.dispose();
  });

  it('dualGate on webgpu: the cpu host path’s gates and surrogate gradient; no tensor leaks', async () => {
    const sal = (seed: number) => Float32Array.from({ length: 2 * 5 * 7 }, (_, i) => Math.round(Math.abs(Math.sin((i + 1) * seed)) * 6) / 3);
    const run = async () => {
      const x = tf.tensor4d([...sal(1.3), ...sal(2.9)], [4, 5, 7, 1]);
      const gate = (t: tf.Tensor) => tf.concat(dualGate([tf.slice(t, [0], [2]) as tf.Tensor4D, tf.slice(t, [2], [2]) as tf.Tensor4D], { density: 0.37, alpha: 5 }), 0);
      // A weighted sum of the gates: each unit's gradient is its weight times the surrogate.
      const [gates, dx] = tf.tidy(() => {
        const w = tf.tensor4d(Float32Array.from({ length: 4 * 5 * 7 }, (_, i) => Math.cos(i * 0.7)), [4, 5, 7, 1]);
        return [gate(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gate(t), w)))(x)];
      });
      const out = { gates: Array.from(await gates.data()), dx: Array.from(await dx.data()) };
      tf.dispose([x, gates, dx]);
      return out;
    };
    await run(); // warm-up: compiled programs and cached tensors do not count as leaks
    const before = tf.memory().numTensors;
    const gpu = await run();
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const cpu = await run();
    await tf.setBackend('webgpu');
    expect(gpu.gates).toEqual(cpu.gates);
    expect(gpu.gates.reduce((s, g) => s + g, 0)).toBe(Math.round(0.37 * 140));
    gpu.dx.forEach((v, i) => expect(Math.abs(v - cpu.dx[i])).toBeLessThan(1e-5));
  });
});
