// Linear probe: a softmax classifier trained on frozen, standardised features (train
// split) and scored on the test split — the standard SSL evaluation, run on demand.
import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../optim';
import { tfSeed } from '../nn/params';
import { freeingTapeOnError } from '../nn/gradientTape';
import { expectFiniteFeatures } from './finiteFeatures';

export interface ProbeOptions { numClasses: number; epochs: number; seed: number; lr?: number; weightDecay?: number }
export interface ProbeResult { trainAccuracy: number; testAccuracy: number; epochs: number }

export async function linearProbe(xTrain: tf.Tensor2D, yTrain: ArrayLike<number>, xTest: tf.Tensor2D, yTest: ArrayLike<number>, opts: ProbeOptions): Promise<ProbeResult> {
  await expectFiniteFeatures('linear probe', xTrain, xTest);
  const d = xTrain.shape[1];
  // In tidies: the intermediate sum, and the tensors a variable is made from (it holds their
  // data, so they would outlive it), would otherwise stay after each probe.
  // A feature constant over the training split (a channel dead on every training image) says
  // nothing the probe can learn: it is dropped (scaled by ∞ to 0 in both splits). Scaled by
  // the floor's 1e-3, a test image where it is alive shifted its logits by noise ×1000.
  const { mean, std } = tf.tidy(() => {
    const m = tf.moments(xTrain, 0);
    return { mean: m.mean, std: tf.where(tf.greater(m.variance, 1e-10), tf.sqrt(tf.add(m.variance, 1e-6)), tf.fill(m.variance.shape, Infinity)) };
  });
  const xtr = tf.tidy(() => tf.div(tf.sub(xTrain, mean), std)) as tf.Tensor2D;
  const xte = tf.tidy(() => tf.div(tf.sub(xTest, mean), std)) as tf.Tensor2D;
  const ytr = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(yTrain), 'int32'), opts.numClasses));
  const vars = {
    w: tf.tidy(() => tf.variable(tf.randomNormal([d, opts.numClasses], 0, 0.01, 'float32', tfSeed(opts.seed)))),
    b: tf.tidy(() => tf.variable(tf.zeros([opts.numClasses]))),
  };
  const optimizer = new AdamW({ weightDecay: opts.weightDecay ?? 1e-4 });
  try {
    for (let e = 0; e < opts.epochs; e++) {
      const { grads, value } = freeingTapeOnError(() => tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ytr, tf.add(tf.matMul(xtr, vars.w), vars.b)) as tf.Scalar, [vars.w, vars.b]));
      optimizer.apply(vars, { w: grads[vars.w.name], b: grads[vars.b.name] }, opts.lr ?? 0.01, undefined, (n) => n === 'b');
      tf.dispose(grads);
      value.dispose();
    }
    const accuracy = async (x: tf.Tensor2D, y: ArrayLike<number>) => {
      const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(x, vars.w), vars.b), 1));
      const p = await pred.data();
      pred.dispose();
      let c = 0;
      for (let i = 0; i < p.length; i++) if (p[i] === y[i]) c++;
      return c / p.length;
    };
    return { trainAccuracy: await accuracy(xtr, yTrain), testAccuracy: await accuracy(xte, yTest), epochs: opts.epochs };
  } finally {
    optimizer.dispose();
    tf.dispose([mean, std, xtr, xte, ytr, vars.w, vars.b]);
  }
}
