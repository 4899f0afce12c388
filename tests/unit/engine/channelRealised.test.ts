// Channel pruning realised through a ResNet block: a channel conv1 prunes whole is exactly 0
// after its BN and ReLU (not ReLU(β)), so conv2 may skip that input channel; the cpu path
// that skips it ('auto') gives the masked dense reference's ('off') values and gradients;
// and the FLOPs accounting counts conv2's skipped inputs, against a count by hand.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/engine/config';
import { maskedConvPath } from '../../../src/engine/nn/maskedConv';
import type { NetworkSpec } from '../../../src/engine/nn/network';
import { forwardResNet, initResNet, resnetSpec, type Branch, type ConvHook } from '../../../src/engine/nn/resnet';
import { stepFlops } from '../../../src/engine/stepFlops';
import { Rng } from '../../../src/engine/random';

const model = { widths: [6], blocks: 1, strides: [1], projHidden: 2, projDim: 2, predHidden: 2 } as unknown as Config['model'];
const C = 6;
const PRUNED = [1, 4, 5]; // conv1's output channels pruned whole

/** A channel mask [3, 3, cin, cout] keeping every output channel but `pruned`. */
function channelMask(cin: number, cout: number, pruned: number[]): tf.Tensor4D {
  const m = new Float32Array(9 * cin * cout);
  for (let i = 0; i < m.length; i++) m[i] = pruned.includes(i % cout) ? 0 : 1;
  return tf.tensor4d(m, [3, 3, cin, cout]);
}

function setup() {
  const spec = resnetSpec(model, 5, 5, 2);
  const { params, stats } = initResNet(spec, 3);
  // β ≠ 0 everywhere: under a BN that ignored the mask a pruned channel would be ReLU(0.7) = 0.7.
  params['s1.b0.bn1.beta'].dispose();
  params['s1.b0.bn1.beta'] = tf.fill([C], 0.7);
  params['s1.b0.bn1.gamma'].dispose();
  params['s1.b0.bn1.gamma'] = tf.tensor1d([1.3, 0.8, 1.1, 0.9, 1.2, 0.6]);
  const vars = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.variable(v)]));
  tf.dispose(Object.values(params));
  tf.dispose(Object.values(stats).flatMap((s) => [s.mean, s.variance]));
  const masks = { 's1.b0.conv1': channelMask(C, C, PRUNED), 's1.b0.conv2': tf.ones([3, 3, C, C]) };
  const rng = new Rng(11);
  const x = tf.tensor4d(Float32Array.from({ length: 3 * 5 * 5 * 2 }, () => rng.next() * 2 - 1), [3, 5, 5, 2]);
  return { spec, vars, masks, x };
}

describe('channel pruning realised into the next conv (cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a channel pruned in conv1 is exactly 0 after BN and ReLU, with β = 0.7', () => {
    const { spec, vars, masks, x } = setup();
    let seen: Float32Array | undefined;
    // A conv hook sees conv2's input (the hook takes the masked dense path).
    const hook: ConvHook = (layer, xs, ws) => {
      if (layer.name === 's1.b0.conv2') seen = xs[0].dataSync() as Float32Array;
      return xs.map((xi, i) => tf.conv2d(xi, ws[i], layer.stride, 'same'));
    };
    tf.tidy(() => forwardResNet(spec, [{ params: vars, masks }], [x], { training: true, convHook: hook, prunedChannels: true }));
    expect(seen).toBeDefined();
    let kept = 0;
    for (let i = 0; i < seen!.length; i++) {
      if (PRUNED.includes(i % C)) expect(seen![i]).toBe(0);
      else if (seen![i] !== 0) kept++;
    }
    expect(kept).toBeGreaterThan(0); // the kept channels are not all zero
    tf.dispose([...Object.values(vars), ...Object.values(masks), x]);
  });

  it("conv2's weights on conv1's pruned channels change nothing (masked dense path)", () => {
    const { spec, vars, masks, x } = setup();
    const before = tf.tidy(() => forwardResNet(spec, [{ params: vars, masks }], [x], { training: true, sparseKernels: 'off', prunedChannels: true })[0]);
    const w2 = vars['s1.b0.conv2'].arraySync() as number[][][][];
    for (const row of w2) for (const col of row) for (const c of PRUNED) col[c] = col[c].map((v) => v + 5);
    vars['s1.b0.conv2'].assign(tf.tensor4d(w2));
    const after = tf.tidy(() => forwardResNet(spec, [{ params: vars, masks }], [x], { training: true, sparseKernels: 'off', prunedChannels: true })[0]);
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    tf.dispose([before, after, ...Object.values(vars), ...Object.values(masks), x]);
  });

  it("forwardResNet hands conv2 conv1's live channels: in 'auto' it runs no tfjs conv for conv2", async () => {
    // conv1's own mask (3 of 6 outputs) makes it a compact conv; conv2's mask is dense, so
    // only the live inputs forwardResNet works out can make conv2 compact too. A compact
    // conv is computed in typed arrays (no Conv2D kernel): 'off' runs 3 tfjs convs (stem,
    // conv1, conv2), 'auto' the stem's only. (Zero inputs cannot tell the paths apart by
    // value here: the cpu conv loops skip zero inputs, so NaN weights on them stay out of both.)
    const { spec, vars, masks, x } = setup();
    expect(maskedConvPath(masks['s1.b0.conv1'], 'auto')).toBe('compact');
    expect(maskedConvPath(masks['s1.b0.conv2'], 'auto')).toBe('dense');
    const convKernels = async (mode: 'off' | 'auto') => {
      const info = await tf.profile(() => {
        const f = forwardResNet(spec, [{ params: vars, masks }], [x], { training: true, sparseKernels: mode, prunedChannels: true })[0];
        f.dataSync();
        f.dispose();
      });
      return info.kernels.filter((k) => /Conv2D/.test(k.name)).length;
    };
    expect(await convKernels('off')).toBe(3);
    expect(await convKernels('auto')).toBe(1);
    tf.dispose([...Object.values(vars), ...Object.values(masks), x]);
  });

  it("'auto' skips conv2's dead inputs (compact conv) and matches 'off': features and every gradient", () => {
    const { spec, vars, masks, x } = setup();
    const live = Int32Array.from([0, 2, 3]);
    // conv2's own mask is dense: only the live inputs make the compact conv pay.
    expect(maskedConvPath(masks['s1.b0.conv2'], 'auto')).toBe('dense');
    expect(maskedConvPath(masks['s1.b0.conv2'], 'auto', live)).toBe('compact');
    const names = Object.keys(vars);
    const run = (mode: 'off' | 'auto') => {
      const branch: Branch = { params: vars, masks };
      const r = tf.variableGrads(() => {
        const f = forwardResNet(spec, [branch], [x], { training: true, sparseKernels: mode, prunedChannels: true })[0];
        // A loss that weighs every feature differently, so no gradient vanishes by symmetry.
        return tf.sum(tf.mul(tf.square(f), tf.linspace(0.5, 1.5, f.size).reshape(f.shape))) as tf.Scalar;
      }, names.map((n) => vars[n]));
      const out = { loss: r.value.dataSync()[0], grads: Object.fromEntries(names.map((n) => [n, Array.from(r.grads[vars[n].name].dataSync())])) };
      r.value.dispose();
      tf.dispose(r.grads);
      return out;
    };
    const numBefore = tf.memory().numTensors;
    const off = run('off');
    const auto = run('auto');
    expect(tf.memory().numTensors).toBe(numBefore);
    expect(auto.loss).toBeCloseTo(off.loss, 4);
    for (const n of names) {
      const a = auto.grads[n];
      const o = off.grads[n];
      for (let i = 0; i < o.length; i++) expect(Math.abs(a[i] - o[i]), `${n}[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(o[i])));
    }
    // Pruned channels' γ and β get no gradient (masked like the weights).
    for (const c of PRUNED) {
      expect(off.grads['s1.b0.bn1.gamma'][c]).toBe(0);
      expect(off.grads['s1.b0.bn1.beta'][c]).toBe(0);
    }
    tf.dispose([...Object.values(vars), ...Object.values(masks), x]);
  });
});

describe("FLOPs count the next conv's skipped input channels", () => {
  it('a one-block network under channel masks, against a count by hand', () => {
    // Input 4×4×1; stem 3×3 1→4; block conv1, conv2 3×3 4→4 (stride 1, no shortcut); projector 4→2→2.
    const encoder = resnetSpec({ ...model, widths: [4] } as Config['model'], 4, 4, 1);
    const spec: NetworkSpec = { encoder, projector: { prefix: 'proj', inDim: 4, hidden: 2, outDim: 2 } };
    const weight = { 's1.b0.conv1': { online: 0.5, target: 0.75 }, 's1.b0.conv2': { online: 0.5, target: 0.75 } };
    const f = stepFlops(spec, [{ role: 'first', view: 0 }, { role: 'second', view: 1 }], 'simclr', 1, { weight, outputChannels: weight });
    // Dense MACs an image: stem 16·9·1·4 = 576, conv1 = conv2 = 16·9·4·4 = 2304, heads 4·2 + 2·2 = 12: 5196.
    // First branch (online masks 0.5): 576 + 2304·0.5 + 2304·0.5·0.5 + 12 = 2316.
    // Second branch (0.75):            576 + 2304·0.75 + 2304·0.75·0.75 + 12 = 3612.
    // Training FLOPs = 2 FLOPs a MAC × 3 passes, but 2 for the stem (no input gradient: its input is the image); both branches trained.
    expect(f.dense).toBe((6 * 5196 - 2 * 576) * 2);
    expect(f.effective).toBe(6 * (2316 + 3612) - 2 * 2 * 576);
    expect(f.layers.find((l) => l.name === 's1.b0.conv2')!.effective).toBe(6 * (2304 * 0.25 + 2304 * 0.5625));
    // Without the output-channel densities conv2 counts its own mask only (the old count).
    const own = stepFlops(spec, [{ role: 'first', view: 0 }, { role: 'second', view: 1 }], 'simclr', 1, { weight });
    expect(own.layers.find((l) => l.name === 's1.b0.conv2')!.effective).toBe(6 * (2304 * 0.5 + 2304 * 0.75));
  });
});
