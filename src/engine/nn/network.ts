// A whole contrastive network: ResNet encoder + projector (+ predictor when the method has one),
// its variables and running statistics, and the multi-branch forward to embeddings.
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import { sslMethod } from '../ssl/registry';
import { forwardMlp, initMlp, type MlpSpec } from './heads';
import { variablesOf, type ParamMap, type RunningStats, type VariableMap } from './params';
import { forwardResNet, initResNet, resnetSpec, type Branch, type ForwardOptions, type ResNetSpec } from './resnet';

export interface NetworkSpec {
  encoder: ResNetSpec;
  projector: MlpSpec;
  /** The trained MLP predictor (`ssl.predictor` mlp, methods with a predictor). */
  predictor?: MlpSpec;
  /** A d×d linear predictor set from the projections' correlation instead (ssl/directPredictor.ts). */
  directPredictor?: { dim: number };
}

export interface Network {
  vars: VariableMap;
  stats: RunningStats;
}

export function networkSpec(config: Config, inH: number, inW: number, channels: number): NetworkSpec {
  const encoder = resnetSpec(config.model, inH, inW, channels);
  const projector: MlpSpec = { prefix: 'proj', inDim: encoder.featureDim, hidden: config.model.projHidden, outDim: config.model.projDim, outBn: config.model.projOutBn };
  const hasPredictor = sslMethod(config.ssl.method).predictor;
  const trained = hasPredictor && config.ssl.predictor === 'mlp';
  const predictor: MlpSpec | undefined = trained ? { prefix: 'pred', inDim: config.model.projDim, hidden: config.model.predHidden, outDim: config.model.projDim } : undefined;
  return { encoder, projector, predictor, ...(hasPredictor && !trained ? { directPredictor: { dim: config.model.projDim } } : {}) };
}

function statsVariables(stats: Record<string, { mean: tf.Tensor; variance: tf.Tensor }>): RunningStats {
  const out: RunningStats = {};
  for (const [k, s] of Object.entries(stats)) out[k] = { mean: tf.variable(s.mean, false), variance: tf.variable(s.variance, false) };
  return out;
}

/** Fresh network from the seed; `withPredictor` false for a BYOL target. */
export function createNetwork(spec: NetworkSpec, seed: number, withPredictor = true): Network {
  return tf.tidy(() => {
    const enc = initResNet(spec.encoder, seed);
    const proj = initMlp(spec.projector, seed);
    const pred = withPredictor && spec.predictor ? initMlp(spec.predictor, seed) : undefined;
    const params: ParamMap = { ...enc.params, ...proj.params, ...(pred?.params ?? {}) };
    const vars = variablesOf(params, true);
    const stats = statsVariables({ ...enc.stats, ...proj.stats, ...(pred?.stats ?? {}) });
    for (const v of Object.values(vars)) tf.keep(v);
    for (const s of Object.values(stats)) { tf.keep(s.mean); tf.keep(s.variance); }
    return { vars, stats } as unknown as tf.TensorContainer;
  }) as unknown as Network;
}

/** A copy of `src` (without predictor) for a BYOL target: same values, non-trainable. */
export function cloneAsTarget(src: Network): Network {
  const vars: VariableMap = {};
  for (const [k, v] of Object.entries(src.vars)) if (!k.startsWith('pred.')) vars[k] = tf.variable(v, false);
  const stats: RunningStats = {};
  for (const [k, s] of Object.entries(src.stats)) if (!k.startsWith('pred.')) stats[k] = { mean: tf.variable(s.mean, false), variance: tf.variable(s.variance, false) };
  return { vars, stats };
}

export function disposeNetwork(n: Network | undefined): void {
  if (!n) return;
  for (const v of Object.values(n.vars)) v.dispose();
  for (const s of Object.values(n.stats)) { s.mean.dispose(); s.variance.dispose(); }
}

/** Encoder features per branch. */
export function encode(spec: NetworkSpec, branches: Branch[], xs: tf.Tensor4D[], opts: ForwardOptions): tf.Tensor2D[] {
  return forwardResNet(spec.encoder, branches, xs, opts);
}

/** Projections g(f(x)) per branch; with `predict`, q(g(f(x))) for the branches flagged. */
export function project(spec: NetworkSpec, branches: Branch[], feats: tf.Tensor2D[], training: boolean): tf.Tensor2D[] {
  return feats.map((f, i) => forwardMlp(spec.projector, branches[i], f, training));
}

export function predict(spec: NetworkSpec, branch: Branch, z: tf.Tensor2D, training: boolean): tf.Tensor2D {
  if (!spec.predictor) throw new Error('predict: this network has no predictor (SimCLR)');
  return forwardMlp(spec.predictor, branch, z, training);
}
