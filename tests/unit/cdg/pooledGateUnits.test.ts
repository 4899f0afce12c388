// The pooled unit count the WebGL and WebGPU paths size their selection by (one helper since a
// near-copy was found in both) is what the gate ranks: the size of every branch's gate tensor.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { pooledGateUnits } from '../../../src/engine/kernels/gatedConvResult';
import { gatedConv } from '../../../src/engine/sparsity/cdgGate';

beforeAll(() => initBackend(['cpu']));

describe('pooledGateUnits', () => {
  it('hand count: branches of 2 and 3 samples, 5×7 at stride 2 (3×4 out), 4 groups', () => {
    const xs = [tf.zeros([2, 5, 7, 1]), tf.zeros([3, 5, 7, 1])] as tf.Tensor4D[];
    expect(pooledGateUnits(xs, 2, 4)).toBe(2 * 12 * 4 + 3 * 12 * 4);
    tf.dispose(xs);
  });

  for (const [h, w, stride, saliency] of [[5, 7, 2, 'channel-group'], [6, 6, 1, 'spatial'], [9, 4, 2, 'spatial']] as const)
    it(`equals the gates' total size: ${h}×${w}, stride ${stride}, ${saliency}`, () => {
      const xs = [tf.randomNormal([2, h, w, 8], 0, 1, 'float32', 1), tf.randomNormal([3, h, w, 8], 0, 1, 'float32', 2)] as tf.Tensor4D[];
      const wt = tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
      const r = gatedConv(xs, [wt, wt], { density: 0.5, stride, saliency, groups: 4, impl: 'ops' });
      const groups = r.groups;
      expect(pooledGateUnits(xs, stride, groups)).toBe(r.gates.reduce((a, g) => a + g.size, 0));
      tf.dispose([...xs, wt, ...r.ys, ...r.gates, ...r.saliency, r.density, r.branchDensity, r.delta]);
    });
});
