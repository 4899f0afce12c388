// NT-Xent and BYOL against hand computations and a plain-JS reference.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ntXent } from '../../../src/engine/ssl/ntxent';
import { byolLoss, byolRegression, emaMomentum, emaUpdate } from '../../../src/engine/ssl/byol';

/** NT-Xent written out with loops: the definition, not the implementation. */
function ntXentReference(z1: number[][], z2: number[][], tau: number): number {
  const z = [...z1, ...z2].map((r) => {
    const n = Math.hypot(...r);
    return r.map((v) => v / n);
  });
  const n = z.length;
  const b = z1.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const pos = i < b ? i + b : i - b;
    let denom = 0;
    let num = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const s = Math.exp(z[i].reduce((a, v, k) => a + v * z[j][k], 0) / tau);
      denom += s;
      if (j === pos) num = s;
    }
    total += -Math.log(num / denom);
  }
  return total / n;
}

describe('NT-Xent', () => {
  it('equals the hand computation on a 2×2 batch', async () => {
    // Rows a,b,a,b with a ⟂ b, τ = 1: each anchor sees e^1 (positive), e^0 twice → log(e+2) − 1.
    const z1 = tf.tensor2d([[1, 0], [0, 1]]);
    const z2 = tf.tensor2d([[2, 0], [0, 3]]); // scale must not matter
    const loss = ntXent(z1, z2, 1);
    expect(await loss.array()).toBeCloseTo(Math.log(Math.E + 2) - 1, 5);
    tf.dispose([z1, z2, loss]);
  });

  it('matches the loop reference on random embeddings and temperatures', async () => {
    for (const [b, d, tau] of [[3, 4, 0.5], [5, 2, 0.1], [4, 8, 2]] as const) {
      const a = Array.from({ length: b }, () => Array.from({ length: d }, () => Math.random() * 2 - 1));
      const c = Array.from({ length: b }, () => Array.from({ length: d }, () => Math.random() * 2 - 1));
      const loss = ntXent(tf.tensor2d(a), tf.tensor2d(c), tau);
      expect(await loss.array()).toBeCloseTo(ntXentReference(a, c, tau), 4);
      loss.dispose();
    }
  });
});

describe('BYOL', () => {
  it('regression loss is 2 − 2cos, by hand', async () => {
    const orth = byolRegression(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 5]]));
    const same = byolRegression(tf.tensor2d([[1, 1]]), tf.tensor2d([[2, 2]]));
    expect(await orth.array()).toBeCloseTo(2, 6);
    expect(await same.array()).toBeCloseTo(0, 6);
  });

  it('symmetrised loss pairs each prediction with the other view’s target', async () => {
    // ℓ(p1, z2) + ℓ(p2, z1) = (2 − 0) + (2 − 2/√2) = 4 − √2
    const loss = byolLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[1, 0]]), tf.tensor2d([[1, 1]]), tf.tensor2d([[0, 1]]));
    expect(await loss.array()).toBeCloseTo(4 - Math.SQRT2, 5);
  });

  it('the target side gets no gradient', () => {
    const p = tf.tensor2d([[1, 2]]);
    const z = tf.tensor2d([[0.5, -1]]);
    const [gp, gz] = tf.grads((a: tf.Tensor, b: tf.Tensor) => byolRegression(a as tf.Tensor2D, b as tf.Tensor2D))([p, z]);
    expect((gp.arraySync() as number[][])[0].some((v) => v !== 0)).toBe(true);
    expect(gz.arraySync()).toEqual([[0, 0]]);
  });

  it('EMA momentum runs on a cosine from m0 to 1, and the update is m·θt + (1−m)·θo', async () => {
    expect(emaMomentum(0, 100, 0.99)).toBeCloseTo(0.99, 12);
    expect(emaMomentum(50, 100, 0.99)).toBeCloseTo(0.995, 12);
    expect(emaMomentum(100, 100, 0.99)).toBeCloseTo(1, 12);
    // Both ways: tf ops (GPU backends) and the fused loop (cpu); a variable without an
    // online counterpart is left alone.
    for (const fused of [false, true]) {
      const target = { w: tf.variable(tf.tensor1d([1, -2])), extra: tf.variable(tf.tensor1d([5])) };
      const online = tf.tensor1d([3, 2]);
      emaUpdate(target, { w: online }, 0.9, fused);
      const got = (await target.w.array()) as number[];
      expect(got[0]).toBeCloseTo(0.9 * 1 + 0.1 * 3, 6);
      expect(got[1]).toBeCloseTo(0.9 * -2 + 0.1 * 2, 6);
      expect(target.extra.dataSync()[0]).toBe(5);
      expect((await online.array()) as number[]).toEqual([3, 2]);
      tf.dispose([target.w, target.extra, online]);
    }
  });
});
