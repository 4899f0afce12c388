// The tf-op path of CDG that GPU backends run (topk + scatter selection, matmul group
// means) on WebGPU in Node (Dawn; SwiftShader without a GPU) against the cpu host path:
// the same gates, outputs to float32 rounding, and a tiny cdg training step's loss.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { gatedConv } from '../../../src/engine/sparsity/cdgGate';
import { Trainer } from '../../../src/engine/trainer';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';

const dataset = await loadDataset('shapes', { seed: 3, trainCount: 32, testCount: 16 });
const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 1.7);

async function on(backend: 'cpu' | 'webgpu') {
  await initBackend([backend]);
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const out: { y: number[]; gates: number[]; density: number }[] = [];
  for (const saliency of ['spatial', 'channel-group'] as const) {
    const xs = [0, 1].map((i) => tf.tensor4d(rand(2 * 6 * 6 * 8, i + 1), [2, 6, 6, 8]));
    const w = tf.tensor4d(rand(3 * 3 * 8 * 8, 9), [3, 3, 8, 8]);
    const r = gatedConv(xs, [w, w], { beta: 0.25, density: 0.4, saliency, groups: 4 });
    out.push({
      y: (await Promise.all(r.ys.map((t) => t.data()))).flatMap((a) => Array.from(a)),
      gates: (await Promise.all(r.gates.map((t) => t.data()))).flatMap((a) => Array.from(a)),
      density: (await r.density.data())[0],
    });
    tf.dispose([...xs, w, ...r.ys, ...r.gates, ...r.saliency, r.density, r.branchDensity]);
  }
  const t = new Trainer(buildConfig({ preset: 'cdg', tiny: true, overrides: { steps: 4, cdg: { schedule: { start: 0, end: 0 } } } }), dataset);
  const loss = [(await t.trainStep()).loss];
  t.dispose();
  return { out, loss };
}

describe('CDG on WebGPU', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gates, outputs and a training step agree with the cpu', async () => {
    const installed = await installNodeWebGPU();
    expect(installed.ok, installed.reason).toBe(true);
    const gpu = await on('webgpu');
    const cpu = await on('cpu');
    gpu.out.forEach((g, j) => {
      const c = cpu.out[j];
      expect(g.density).toBeCloseTo(c.density, 6);
      expect(g.gates).toEqual(c.gates);
      const scale = Math.max(...c.y.map(Math.abs));
      g.y.forEach((v, i) => expect(Math.abs(v - c.y[i]) / scale).toBeLessThan(1e-5));
    });
    gpu.loss.forEach((l, i) => expect(Math.abs(l - cpu.loss[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.loss[i]))));
  });
});
