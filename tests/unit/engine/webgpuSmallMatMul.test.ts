// Small matmuls on a software WebGPU adapter avoid tfjs' MatMulReduceProgram
// (kernels/webgpuSmallMatMul.ts): values against a float64 product written out here, for
// outputs at and around the 128-output bound, with transposes, batches and the fused
// bias + activation; the program that ran read from the backend's dispatches; tfjs' program
// type flag restored after each call. Dawn on SwiftShader in Node; skipped without WebGPU.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { matMulOutputSize } from '../../../src/engine/kernels/webgpuSmallMatMul';
import { Rng } from '../../../src/engine/random';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

describe('matMulOutputSize', () => {
  it('is batch × rows × columns after the transposes', () => {
    expect(matMulOutputSize([8, 64], [16, 64], false, true)).toBe(128);
    expect(matMulOutputSize([64, 8], [64, 16], true, false)).toBe(128);
    expect(matMulOutputSize([3, 2, 5], [3, 5, 7], false, false)).toBe(42);
    expect(matMulOutputSize([2, 5], [4, 5, 7], false, false)).toBe(56); // b's batch broadcast
  });
});

/** Row-major [batch, rows, cols] product in float64, with the transposes. */
function product(a: Float32Array, as: number[], b: Float32Array, bs: number[], ta: boolean, tb: boolean): Float64Array {
  const [batch, ar, ac] = as.length === 3 ? as : [1, ...as];
  const [, br, bc] = bs.length === 3 ? bs : [1, ...bs];
  const rows = ta ? ac : ar;
  const inner = ta ? ar : ac;
  const cols = tb ? br : bc;
  const out = new Float64Array(batch * rows * cols);
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        let acc = 0;
        for (let k = 0; k < inner; k++) {
          const av = a[n * ar * ac + (ta ? k * ac + i : i * ac + k)];
          const bv = b[n * br * bc + (tb ? j * bc + k : k * bc + j)];
          acc += av * bv;
        }
        out[(n * rows + i) * cols + j] = acc;
      }
  return out;
}

describe.skipIf(!haveWebGPU)('small matmuls on software WebGPU', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  type Backend = { runWebGPUProgram: (p: { shaderKey: string }, ...r: unknown[]) => unknown };
  /** The shader keys of the programs f dispatches. */
  function programsOf<T>(f: () => T): { out: T; keys: string[] } {
    const backend = tf.backend() as unknown as Backend;
    const run = backend.runWebGPUProgram;
    const keys: string[] = [];
    backend.runWebGPUProgram = function (p, ...r) {
      keys.push(p.shaderKey);
      return run.call(this, p, ...r);
    };
    try {
      return { out: f(), keys };
    } finally {
      backend.runWebGPUProgram = run;
    }
  }

  // The replacement is registered for software adapters only (backend.ts): on a real GPU
  // (an H100 ran this file) tfjs' own programs stand, and only the values are checked.
  it('equal a float64 product, around the 128-output bound; on a software adapter never run MatMulReduce there', async () => {
    const software = report?.softwareAdapter === true;
    if (/swiftshader/i.test(report?.adapter ?? '')) expect(software, report?.adapter).toBe(true);
    const rng = new Rng(5);
    const cases: [number[], number[], boolean, boolean][] = [
      [[8, 64], [16, 64], false, true], // the BYOL projector's input gradient at the tiny size: 128 outputs
      [[64, 8], [64, 16], true, false],
      [[1, 300], [300, 1], false, false], // one output, a long inner dimension
      [[3, 4, 9], [3, 9, 10], false, false], // batched, 120 outputs
      [[9, 13], [13, 15], false, false], // 135 outputs: above the bound
      [[40, 33], [33, 50], false, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const av = Float32Array.from({ length: as.reduce((x, y) => x * y, 1) }, () => rng.next() * 2 - 1);
      const bv = Float32Array.from({ length: bs.reduce((x, y) => x * y, 1) }, () => rng.next() * 2 - 1);
      const a = tf.tensor(av, as);
      const b = tf.tensor(bv, bs);
      const { out, keys } = programsOf(() => tf.matMul(a, b, ta, tb));
      const want = product(av, as, bv, bs, ta, tb);
      const got = await out.data();
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${as}×${bs} [${i}]`).toBeLessThan(1e-4 * Math.sqrt(as[as.length - (ta ? 2 : 1)]));
      if (software && matMulOutputSize(as, bs, ta, tb) <= 128) expect(keys.some((k) => k.startsWith('matMulReduce')), `${as}×${bs}: ${keys}`).toBe(false);
      expect(tf.env().getNumber('WEBGPU_MATMUL_PROGRAM_TYPE')).toBe(-1);
      tf.dispose([a, b, out]);
    }
  });

  it('fused bias and ReLU (tf.fused.matMul) and the gradients of a small dense layer equal the float64 values', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, -2, 0.5], [0, 1, -1]]);
    const w = tf.tensor2d([[0.5, -1], [2, 0.25], [-1, 1]]);
    const bias = tf.tensor1d([0.1, -3]);
    const y = tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' });
    // x·w = [[-4, 0], [3, -0.75]]; + bias = [[-3.9, -3], [3.1, -3.75]]; ReLU.
    expect(Array.from(await y.data())).toEqual([0, 0, expect.closeTo(3.1, 5), 0]);
    // d/dw Σ (x·w) = xᵀ·1 and d/dx = 1·wᵀ (both small outputs).
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a, b)))([x, w]);
    expect(Array.from(await dx.data())).toEqual([-0.5, 2.25, 0, -0.5, 2.25, 0]);
    expect(Array.from(await dw.data())).toEqual([1, 1, -1, -1, -0.5, -0.5]);
    tf.dispose([x, w, bias, y, dx, dw]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
