// SyncCP channel pruning on WebGPU (Dawn in Node; SwiftShader where there is no GPU). Its
// update masks reduce a bool mask over a kernel's outer axes; on WebGPU tf.cast(bool →
// float32) keeps the integer buffer and tfjs' N-D transpose cannot read it (its shader
// fails to compile), so a bool mask is made into real floats first (sparsity/floatMask.ts).
// Before that, syncp-channel went NaN at its first step on WebGPU, on SwiftShader and on
// an H100 alike; the cpu never showed it.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/engine/random';
import { floatMask } from '../../../src/engine/sparsity/floatMask';
import { expectPrunedChannelsFrozen } from '../syncp/channelFrozenCheck';
import { startTestWebGPU } from '../helpers/webgpu';

const report = await startTestWebGPU();
const haveWebGPU = report?.backend === 'webgpu';

describe.skipIf(!haveWebGPU)('bool masks reduced over outer axes on WebGPU', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('per output channel and per input channel, as counted in plain JavaScript, for bool and int32 masks', async () => {
    const rng = new Rng(11);
    for (const [kh, kw, cin, cout] of [[3, 3, 5, 7], [1, 1, 4, 3], [3, 3, 16, 9]]) {
      const n = kh * kw * cin * cout;
      const keep = Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
      // Some output channels fully pruned, as channel pruning leaves them.
      for (let i = 0; i < n; i++) if (i % cout === 1) keep[i] = 0;
      const anyOut = Array.from({ length: cout }, (_, o) => (keep.some((v, i) => v && i % cout === o) ? 1 : 0));
      const perIn = Array.from({ length: cin }, (_, c) => keep.filter((v, i) => v && Math.floor(i / cout) % cin === c).length);
      for (const dtype of ['bool', 'int32'] as const) {
        const m = tf.tensor4d(keep, [kh, kw, cin, cout], dtype);
        const out = tf.tidy(() => tf.max(floatMask(m), [0, 1, 2]));
        const inn = tf.tidy(() => tf.sum(floatMask(m), [0, 1, 3]));
        expect(Array.from(await out.data()), `${dtype} [${kh},${kw},${cin},${cout}] per output channel`).toEqual(anyOut);
        expect(Array.from(await inn.data()), `${dtype} [${kh},${kw},${cin},${cout}] per input channel`).toEqual(perIn);
        tf.dispose([m, out, inn]);
      }
    }
  });

  it("syncp-channel trains: pruned channels' BN γ/β and the weights reading them stay put, kept ones train", expectPrunedChannelsFrozen);
});
