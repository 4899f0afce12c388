// WebGPU in Node (Dawn via the `webgpu` package; SwiftShader where there is no GPU):
// the backend really is webgpu, and one training step matches the cpu step.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { Trainer } from '../../../src/engine/trainer';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';

const dataset = await loadDataset('shapes', { seed: 5, trainCount: 32, testCount: 16 });

async function oneStep(backend: 'cpu' | 'webgpu') {
  const report = await initBackend([backend]);
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const t = new Trainer(buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 4 } }), dataset);
  const w0 = Object.fromEntries(await Promise.all(Object.entries(t.online.vars).map(async ([k, v]) => [k, (await v.data()).slice()] as const)));
  // Capture the step's gradients through the plugin seam (afterStep sees them).
  let captured: Record<string, tf.Tensor> = {};
  t.plugins.push({ name: 'capture', afterStep: (_s, grads) => (captured = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.clone()]))), dispose: () => {} });
  const r = await t.trainStep();
  const grads: Record<string, Float32Array> = {};
  for (const [k, g] of Object.entries(captured)) grads[k] = (await g.data()) as Float32Array;
  tf.dispose(captured);
  t.dispose();
  return { report, loss: r.loss, grads, w0 };
}

describe('WebGPU in Node', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('runs on webgpu and one step equals the cpu step', async () => {
    const installed = await installNodeWebGPU();
    expect(installed.ok, installed.reason).toBe(true);
    const gpu = await oneStep('webgpu');
    expect(gpu.report.backend).toBe('webgpu');
    expect(tf.getBackend()).toBe('cpu' === gpu.report.backend ? 'cpu' : 'webgpu');
    const cpu = await oneStep('cpu');
    expect(tf.getBackend()).toBe('cpu');
    // Same initial weights (seeded init is computed in JS), same loss.
    for (const k of Object.keys(cpu.w0)) expect(Array.from(gpu.w0[k])).toEqual(Array.from(cpu.w0[k]));
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu.loss)));
    // Gradients of every parameter agree to float32 accumulation-order noise. (Comparing the
    // Adam update instead would not work: its first step is ~lr·sign(g), and near-zero
    // gradients flip sign between backends.)
    expect(Object.keys(gpu.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    let worst = 0;
    for (const k of Object.keys(cpu.grads)) {
      let diff = 0;
      let norm = 0;
      cpu.grads[k].forEach((g, i) => {
        diff += (g - gpu.grads[k][i]) ** 2;
        norm += g * g;
      });
      // Absolute floor for tensors whose true gradient is ~0 (a bias right before BatchNorm).
      worst = Math.max(worst, Math.sqrt(diff) / (Math.sqrt(norm) + 1e-2));
    }
    console.log(`webgpu vs cpu: loss ${gpu.loss} vs ${cpu.loss}; worst relative gradient difference ${worst.toExponential(2)}; adapter ${gpu.report.adapter}`);
    expect(worst).toBeLessThan(1e-3);
  });
});
