// Channel pruning's masked BN on WebGPU (Dawn in Node; SwiftShader where there is no GPU):
// off the cpu the keep vector is a max over the mask on the device, not the cpu pattern.
// A channel conv1 prunes is exactly 0 after BN and ReLU (β = 0.7), as on the cpu, and the
// features equal the cpu's.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import type { Config } from '../../../src/engine/config';
import { forwardResNet, initResNet, resnetSpec, type ConvHook } from '../../../src/engine/nn/resnet';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';
import { Rng } from '../../../src/engine/random';

const model = { widths: [6], blocks: 1, strides: [1], projHidden: 2, projDim: 2, predHidden: 2 } as unknown as Config['model'];
const C = 6;
const PRUNED = [1, 4, 5];

async function run(): Promise<{ conv2Input: Float32Array; features: Float32Array }> {
  const spec = resnetSpec(model, 5, 5, 2);
  const { params, stats } = initResNet(spec, 3);
  params['s1.b0.bn1.beta'].dispose();
  params['s1.b0.bn1.beta'] = tf.fill([C], 0.7);
  tf.dispose(Object.values(stats).flatMap((s) => [s.mean, s.variance]));
  const m = new Float32Array(9 * C * C);
  for (let i = 0; i < m.length; i++) m[i] = PRUNED.includes(i % C) ? 0 : 1;
  const masks = { 's1.b0.conv1': tf.tensor4d(m, [3, 3, C, C]) };
  const rng = new Rng(11);
  const x = tf.tensor4d(Float32Array.from({ length: 3 * 5 * 5 * 2 }, () => rng.next() * 2 - 1), [3, 5, 5, 2]);
  let kept: tf.Tensor | undefined;
  const hook: ConvHook = (layer, xs, ws) => {
    // dataSync blocks on WebGPU (and Node has no OffscreenCanvas for it): keep, read after.
    if (layer.name === 's1.b0.conv2') kept = tf.keep(xs[0].clone());
    return xs.map((xi, i) => tf.conv2d(xi, ws[i], layer.stride, 'same'));
  };
  const f = tf.tidy(() => forwardResNet(spec, [{ params, masks }], [x], { training: true, convHook: hook, prunedChannels: true })[0]);
  const features = (await f.data()) as Float32Array;
  const conv2Input = (await kept!.data()) as Float32Array;
  tf.dispose([f, kept!, x, masks['s1.b0.conv1'], ...Object.values(params)]);
  return { conv2Input, features };
}

describe('channel pruning on WebGPU', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it("a pruned channel is exactly 0 after BN and ReLU, and the features equal the cpu's", async () => {
    const installed = await installNodeWebGPU();
    expect(installed.ok, installed.reason).toBe(true);
    expect((await initBackend(['webgpu'])).backend).toBe('webgpu');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    const gpu = await run();
    await initBackend(['cpu']);
    const cpu = await run();
    for (let i = 0; i < gpu.conv2Input.length; i++) if (PRUNED.includes(i % C)) expect(gpu.conv2Input[i]).toBe(0);
    for (let i = 0; i < cpu.features.length; i++) expect(Math.abs(gpu.features[i] - cpu.features[i])).toBeLessThan(1e-4 * (1 + Math.abs(cpu.features[i])));
  });
});
