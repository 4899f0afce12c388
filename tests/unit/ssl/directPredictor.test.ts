// The set predictors (ssl.predictor directcopy / directpred) against hand-computed values
// and properties, and in the trainer: no predictor variables or optimizer slots, F follows
// the projections (diagonal ≈ 1 under the projector's output BatchNorm), no leaks.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { batchCorrelation, directCopyWeight, directPredWeight, symmetricEigen } from '../../../src/engine/ssl/directPredictor';
import { Trainer } from '../../../src/engine/trainer';

const dataset = await loadDataset('shapes', { seed: 3, trainCount: 48, testCount: 24 });

describe('DirectCopy and DirectPred weights', () => {
  it('DirectCopy of a hand-made batch: F = Σ z zᵀ / n over both views, W = F/‖F‖_F + εI', async () => {
    // Rows (1,0), (0,2) | (1,1), (2,0): Σ z zᵀ = [[1+0+1+4, 0+0+1+0], [·, 0+4+1+0]] = [[6,1],[1,5]], n = 4.
    const F = [[1.5, 0.25], [0.25, 1.25]];
    const fro = Math.sqrt(1.5 ** 2 + 2 * 0.25 ** 2 + 1.25 ** 2);
    const eps = 0.3;
    const want = [[1.5 / fro + eps, 0.25 / fro], [0.25 / fro, 1.25 / fro + eps]];
    const corr = batchCorrelation([tf.tensor2d([[1, 0], [0, 2]]), tf.tensor2d([[1, 1], [2, 0]])]);
    const c = (await corr.array()) as number[][];
    F.forEach((row, i) => row.forEach((v, j) => expect(c[i][j]).toBeCloseTo(v, 6)));
    const w = directCopyWeight(corr, eps);
    const got = (await w.array()) as number[][];
    want.forEach((row, i) => row.forEach((v, j) => expect(got[i][j]).toBeCloseTo(v, 6)));
    tf.dispose([corr, w]);
  });

  it('symmetricEigen: U diag(s) Uᵀ rebuilds a random symmetric matrix and U is orthonormal', () => {
    const d = 12;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) a[i * d + j] = a[j * d + i] = rand();
    const { values, vectors: U } = symmetricEigen(a, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let rebuilt = 0;
        let gram = 0;
        for (let k = 0; k < d; k++) {
          rebuilt += U[i * d + k] * values[k] * U[j * d + k];
          gram += U[k * d + i] * U[k * d + j];
        }
        expect(rebuilt).toBeCloseTo(a[i * d + j], 9);
        expect(gram).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });

  it('DirectPred of F = R diag(4, 1, 0, −1) Rᵀ is R diag(1+ε, ½+ε, ε, ε) Rᵀ (√(s/s_max), negatives clamped)', () => {
    const eps = 0.1;
    // R: a rotation by 30° in the (0, 1) plane and by 60° in the (2, 3) plane.
    const [c1, s1, c2, s2] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6), Math.cos(Math.PI / 3), Math.sin(Math.PI / 3)];
    const R = [[c1, -s1, 0, 0], [s1, c1, 0, 0], [0, 0, c2, -s2], [0, 0, s2, c2]];
    const conj = (diag: number[]) => R.map((ri) => R.map((rj) => diag.reduce((acc, s, k) => acc + ri[k] * s * rj[k], 0)));
    const F = conj([4, 1, 0, -1]).flat();
    const want = conj([1 + eps, 0.5 + eps, eps, eps]).flat();
    const got = directPredWeight(F, 4, eps);
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
  });
});

describe('a BYOL trainer with a set predictor', () => {
  it.each(['directcopy', 'directpred'] as const)('%s: no predictor variables, no optimizer slot for one, F in the saved state', async (predictor) => {
    const t = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 10, ssl: { predictor } } }), dataset);
    expect(Object.keys(t.online.vars).filter((k) => k.startsWith('pred.'))).toEqual([]);
    await t.trainStep();
    const names = Object.keys(t.stateTensors());
    expect(names.filter((k) => k.includes('pred'))).toEqual(['predictor.corr']);
    // The encoder still trains: it has its Adam moments.
    expect(names).toContain('adam.m.proj.fc2.w');
    t.dispose();
  });

  it('FLOPs: the set predictor is one projDim × projDim product on each predicting branch, in place of the MLP', () => {
    const mlp = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 4 } }), dataset);
    const set = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 4, ssl: { predictor: 'directcopy' } } }), dataset);
    // By hand: 2 online branches predict, FLOPs = 2·MACs, batch B; the MLP trains (forward,
    // input and weight gradient: ×3), the set weight takes no gradient (forward and input gradient: ×2).
    const { projDim: d, predHidden: h } = mlp.config.model;
    const perMac = 2 * 3 * 2 * mlp.config.batchSize;
    const perSetMac = 2 * 2 * 2 * mlp.config.batchSize;
    expect(mlp.flops().dense - set.flops().dense).toBe(perMac * (d * h + h * d) - perSetMac * d * d);
    mlp.dispose();
    set.dispose();
  });

  it('F after one step is ρ·I + (1 − ρ)·E[z zᵀ]: with the projector output BN (batch-standardised units) its diagonal is 1', async () => {
    const t = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 10, ssl: { predictor: 'directcopy', corrEma: 0.3 }, model: { projOutBn: true } } }), dataset);
    const F0 = (await t.directPredictor!.corr.array()) as number[][];
    F0.forEach((row, i) => row.forEach((v, j) => expect(v).toBe(i === j ? 1 : 0)));
    await t.trainStep();
    const F = (await t.directPredictor!.corr.array()) as number[][];
    const d = F.length;
    // Each unit has batch mean 0 and biased variance v/(v + 1e-5) in each view: E[z_i²] ≈ 1.
    for (let i = 0; i < d; i++) expect(F[i][i]).toBeCloseTo(1, 2);
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      expect(F[i][j]).toBeCloseTo(F[j][i], 6);
      if (i !== j) off += Math.abs(F[i][j]);
    }
    // The projections are correlated (a random network's are): F moved off the identity.
    expect(off).toBeGreaterThan(0.1);
    t.dispose();
  });

  it.each([
    ['byol', 'directcopy'],
    ['byol', 'directpred'],
    ['simsiam', 'directcopy'],
  ] as const)('%s with %s: numTensors is flat over steps and a kNN pass, and back to the start after dispose', async (method, predictor) => {
    const before = tf.memory().numTensors;
    const t = new Trainer(buildConfig({ preset: 'byol-dense', tiny: true, overrides: { steps: 12, ssl: { predictor, method } } }), dataset);
    await t.trainStep();
    await t.trainStep();
    const after2 = tf.memory().numTensors;
    for (let i = 0; i < 6; i++) {
      const r = await t.trainStep();
      expect(Number.isFinite(r.loss)).toBe(true);
    }
    await t.knn();
    expect(tf.memory().numTensors).toBe(after2);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
