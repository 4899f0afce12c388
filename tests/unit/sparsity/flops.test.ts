// FLOPs accounting: a two-layer network against a hand count, weight density, N:M with
// fractions and a tail, CDG base + gated conditional path, combinations, output sizes,
// mask-derived per-channel counts, argument errors.

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  baseChannels,
  convOutputSize,
  denseMacs,
  effectiveMacs,
  keptPerInputChannel,
  layerFlops,
  networkFlops,
  type ConvLayerSpec,
  type LayerFlopsSpec,
} from '../../../src/engine/sparsity/flops';
import { nmKeepArrays } from '../../../src/engine/sparsity/masks';
import { buildConfig } from '../../../src/engine/config';
import { networkSpec } from '../../../src/engine/nn/network';
import { sslMethod } from '../../../src/engine/ssl/registry';
import { stepFlops } from '../../../src/engine/stepFlops';

// conv 3×3, 8 → 16 channels on an 8×8 input, 'same', stride 1: 8·8·3·3·8·16 = 73 728 MACs
// linear 16 → 10: 160 MACs
const conv: ConvLayerSpec = { kind: 'conv', name: 'conv1', kh: 3, kw: 3, cIn: 8, cOut: 16, inH: 8, inW: 8 };
const fc1: LayerFlopsSpec = { kind: 'linear', name: 'fc', inFeatures: 16, outFeatures: 10 };

describe('dense counts', () => {
  it('two-layer network: MACs, forward and training FLOPs by hand', () => {
    expect(denseMacs(conv)).toBe(73728);
    expect(denseMacs(fc1)).toBe(160);
    const fwd = networkFlops([conv, fc1], { pass: 'forward' });
    expect(fwd.layers).toEqual([
      { name: 'conv1', dense: 147456, effective: 147456 },
      { name: 'fc', dense: 320, effective: 320 },
    ]);
    expect(fwd.dense).toBe(147776);
    const train = networkFlops([conv, fc1]); // default: training, batch 1
    expect(train.dense).toBe(443328); // 3 × 147 776
    expect(train.effective).toBe(443328);
    expect(networkFlops([conv, fc1], { batch: 4 }).dense).toBe(4 * 443328);
  });

  it('output sizes for same / valid / explicit padding, strides and explicit out size', () => {
    expect(convOutputSize({ ...conv, inH: 9, inW: 9, stride: 2 })).toEqual([5, 5]);
    expect(convOutputSize({ ...conv, padding: 'valid' })).toEqual([6, 6]);
    expect(convOutputSize({ ...conv, inH: 9, inW: 7, stride: [2, 1], padding: 1 })).toEqual([5, 7]);
    expect(convOutputSize({ kind: 'conv', name: 'x', kh: 3, kw: 3, cIn: 1, cOut: 1, outH: 4, outW: 2 })).toEqual([4, 2]);
    // 1×1 conv, stride 2 on 32×32 'same': 16·16·1·1·4·8 = 8192
    expect(denseMacs({ kind: 'conv', name: 'd', kh: 1, kw: 1, cIn: 4, cOut: 8, inH: 32, inW: 32, stride: 2 })).toBe(8192);
  });
});

describe('effective counts', () => {
  // per input channel of conv1: 8·8·3·3·16 = 9216 MACs
  const perC = 9216;

  it('(a) weight density scales the MACs', () => {
    expect(effectiveMacs({ ...conv, sparsity: { weightDensity: 0.25 } })).toBe(0.25 * 73728);
    const s = networkFlops([{ ...conv, sparsity: { weightDensity: 0.5 } }, { ...fc1, sparsity: { weightDensity: 0.1 } }], {
      pass: 'forward',
    });
    expect(s.effective).toBeCloseTo(2 * (36864 + 16), 9);
    expect(s.dense).toBe(147776);
  });

  it('(b) N:M counts N/M on N:M groups, dense groups and the tail fully', () => {
    const c10 = { ...conv, cIn: 10 }; // 2 full groups of 4 (8 channels), tail of 2
    expect(denseMacs(c10)).toBe(10 * perC);
    expect(effectiveMacs({ ...c10, sparsity: { nm: { n: 2, m: 4 } } })).toBe((8 * 0.5 + 2) * perC);
    // half the groups 2:4: 8 channels at 1 − 0.5·0.5 = 0.75, tail 2 channels dense
    expect(effectiveMacs({ ...c10, sparsity: { nm: { n: 2, m: 4, fraction: 0.5 } } })).toBe((8 * 0.75 + 2) * perC);
    expect(effectiveMacs({ ...c10, sparsity: { nm: { n: 2, m: 4, fraction: 0 } } })).toBe(10 * perC);
  });

  it('(c) CDG: base ⌈β·C_in⌉ channels always, conditional channels × gate density', () => {
    // β = 1/4 of 8 → 2 base channels; 6 conditional at 0.4
    expect(effectiveMacs({ ...conv, sparsity: { gate: { density: 0.4, beta: 0.25 } } })).toBeCloseTo((2 + 6 * 0.4) * perC, 6);
    // β = 1/3 of 8 → ⌈2.67⌉ = 3 base channels
    expect(effectiveMacs({ ...conv, sparsity: { gate: { density: 0, beta: 1 / 3 } } })).toBe(3 * perC);
    expect(baseChannels(10, 0.3)).toBe(3); // 0.3·10 is 3.0000000000000004 in floating point
    expect(baseChannels(8, 0.25)).toBe(2);
  });

  it('combinations multiply', () => {
    // weight density 0.5 with gating 0.4: 0.5·(2 + 6·0.4)
    expect(effectiveMacs({ ...conv, sparsity: { weightDensity: 0.5, gate: { density: 0.4, beta: 0.25 } } })).toBeCloseTo(
      0.5 * 4.4 * perC,
      6,
    );
    // 2:4 everywhere with gating 0.5, β = 1/2: base 4 channels at 0.5, conditional 4 at 0.5·0.5
    expect(effectiveMacs({ ...conv, sparsity: { nm: { n: 2, m: 4 }, gate: { density: 0.5, beta: 0.5 } } })).toBeCloseTo(
      (4 * 0.5 + 4 * 0.25) * perC,
      6,
    );
    // 'detached' gate gradient: every pass of the conditional path × density, so training = 3 × forward.
    const t = networkFlops([{ ...conv, sparsity: { weightDensity: 0.5, gate: { density: 0.4, beta: 0.25, gradient: 'detached' } } }, fc1]);
    expect(t.effective).toBeCloseTo(6 * (0.5 * 4.4 * perC + 160), 6);
  });

  it("CDG training FLOPs per gate gradient: 'ste' needs the whole conditional forward, 'detached' does not", () => {
    // conv 8×8×3×3×8→16, β = 1/4: 2 base channels, 6 conditional; one channel = 9216 MACs (perC).
    // Gate density 0.4. Forward MACs at the gates: (2 + 6·0.4)·perC = 4.4·perC.
    // ste: forward (2 + 6)·perC (Y_c at closed locations feeds dg), input grad and weight
    //      grad 4.4·perC each (dY_c = dY ⊙ g) → 16.8·perC MACs → ×2 FLOPs = 33.6·perC.
    // detached: 3 × 4.4·perC = 13.2·perC MACs → 26.4·perC FLOPs. Dense: 3·8·2 = 48·perC.
    const ste = networkFlops([{ ...conv, sparsity: { gate: { density: 0.4, beta: 0.25, gradient: 'ste' } } }]);
    const det = networkFlops([{ ...conv, sparsity: { gate: { density: 0.4, beta: 0.25, gradient: 'detached' } } }]);
    const dflt = networkFlops([{ ...conv, sparsity: { gate: { density: 0.4, beta: 0.25 } } }]);
    expect(ste.dense).toBe(48 * perC);
    expect(ste.effective).toBeCloseTo(33.6 * perC, 6);
    expect(det.effective).toBeCloseTo(26.4 * perC, 6);
    expect(dflt.effective).toBe(ste.effective); // 'ste' is the default, as in the config
    // A forward-only pass (BYOL's target) needs Y_c only where the gate opens, in both modes: 2·4.4·perC.
    for (const gradient of ['ste', 'detached'] as const) {
      expect(networkFlops([{ ...conv, sparsity: { gate: { density: 0.4, beta: 0.25, gradient } } }], { pass: 'forward' }).effective).toBeCloseTo(8.8 * perC, 6);
    }
    // With half the weights kept too, the STE forward is the weight-sparse dense conv: 0.5·8·perC.
    const steW = networkFlops([{ ...conv, sparsity: { weightDensity: 0.5, gate: { density: 0.4, beta: 0.25, gradient: 'ste' } } }]);
    expect(steW.effective).toBeCloseTo(2 * (0.5 * 8 + 2 * 0.5 * 4.4) * perC, 6);
  });

  it('per-channel counts from a real 2:4 mask give the same MACs as the formula', () => {
    const before = tf.memory().numTensors;
    const scores = tf.randomUniform([3, 3, 10, 16], 0, 1, 'float32', 7) as tf.Tensor4D;
    const mask = tf.tensor4d(Float32Array.from(nmKeepArrays(scores.dataSync(), scores.shape, 2, 4, [1])[0]), scores.shape);
    const kept = keptPerInputChannel(mask);
    expect(kept.length).toBe(10);
    // every (kh, kw, C_out) row keeps 2 of each full group + the 2 tail channels: 144 rows · 6
    expect(kept.reduce((a, b) => a + b, 0)).toBe(144 * 6);
    expect(kept[8]).toBe(144);
    expect(kept[9]).toBe(144);
    const c10 = { ...conv, cIn: 10 };
    expect(effectiveMacs({ ...c10, sparsity: { keptPerInputChannel: kept } })).toBe((8 * 0.5 + 2) * perC);
    tf.dispose([scores, mask]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('errors', () => {
  it('name the argument and the value', () => {
    expect(() => effectiveMacs({ ...conv, sparsity: { weightDensity: 1.5 } })).toThrow(
      'effectiveMacs(conv1): weightDensity must be a number in [0, 1] (got weightDensity=1.5)',
    );
    expect(() => effectiveMacs({ ...conv, sparsity: { nm: { n: 5, m: 4 } } })).toThrow(/n must be ≤ m \(got n=5, m=4\)/);
    expect(() => effectiveMacs({ ...conv, sparsity: { nm: { n: 2, m: 4, fraction: -1 } } })).toThrow(/fraction=-1/);
    expect(() => effectiveMacs({ ...conv, sparsity: { gate: { density: 2, beta: 0.25 } } })).toThrow(/gate.density=2/);
    expect(() => effectiveMacs({ ...conv, sparsity: { keptPerInputChannel: [1, 2] } })).toThrow(/got length=2, C_in=8/);
    expect(() => denseMacs({ ...conv, cIn: 0 })).toThrow(/cIn=0/);
    expect(() => denseMacs({ ...conv, inH: undefined, inW: undefined })).toThrow(/give either outH\/outW or inH\/inW/);
    expect(() => denseMacs({ ...conv, inH: 2, inW: 2, padding: 'valid' })).toThrow(/smaller than the kernel/);
    expect(() => networkFlops([conv], { batch: -1 })).toThrow(/batch=-1/);
  });
});

describe('a weight that is set, not trained (DirectPred, DirectCopy)', () => {
  it('costs forward + input gradient in training: 2 × 2·in·out per image, not 3 ×', () => {
    const set = layerFlops({ kind: 'linear', name: 'p', inFeatures: 32, outFeatures: 32, noWeightGradient: true }, { batch: 5 });
    const trained = layerFlops({ kind: 'linear', name: 'p', inFeatures: 32, outFeatures: 32 }, { batch: 5 });
    expect(set.dense).toBe(2 * 2 * 32 * 32 * 5);
    expect(set.effective).toBe(2 * 2 * 32 * 32 * 5);
    expect(trained.dense).toBe(3 * 2 * 32 * 32 * 5);
    // A forward-only pass is the same either way.
    expect(layerFlops({ kind: 'linear', name: 'p', inFeatures: 32, outFeatures: 32, noWeightGradient: true }, { pass: 'forward' }).dense).toBe(2 * 32 * 32);
  });
});

describe('stepFlops with a set predictor', () => {
  it('counts the d×d product on the two online views, forward and input gradient only', () => {
    const c = buildConfig({ preset: 'byol-dense', overrides: { ssl: { predictor: 'directpred' } } });
    const spec = networkSpec(c, 16, 16, 3);
    const f = stepFlops(spec, sslMethod('byol').branches(), 'byol', c.batchSize, {});
    const d = c.model.projDim;
    expect(f.layers.find((l) => l.name === 'pred.direct')?.dense).toBe(2 * 2 * (2 * d * d) * c.batchSize);
  });
});

describe('stepFlops: a gradient pass over a gated conv', () => {
  it('counts the named conv\'s weight gradient at every weight but × gate density on the conditional path (dY_c = dY ⊙ g)', () => {
    const c = buildConfig({ preset: 'cdg', tiny: true });
    const spec = networkSpec(c, 16, 16, 3);
    const branches = sslMethod('simclr').branches();
    // s1.b0.conv2: 3×3, 8 → 8 channels at 8×8; β = 1/4 → a base segment of 2 input channels.
    const byHand = (g: number) => 2 * c.batchSize * 2 * (8 * 8) * (3 * 3 * 8) * (2 + 6 * g);
    for (const g of [1, 0.4, 0.1]) {
      const d = { gate: { 's1.b0.conv2': { online: g, target: g, beta: 0.25, gradient: 'ste' as const } } };
      const named = stepFlops(spec, branches, 'simclr', c.batchSize, d, [['s1.b0.conv2']]).effective;
      const none = stepFlops(spec, branches, 'simclr', c.batchSize, d, [[]]).effective;
      // Before, 2 + 6 at every density: the pass counted the dense weight gradient.
      expect(named - none).toBeCloseTo(byHand(g), 3);
    }
  });
});
