// A small ResNet (dense stem, BasicBlocks) as data (ResNetSpec) plus a functional,
// multi-branch forward pass. Tensors are NHWC; conv kernels are [kh, kw, C_in, C_out].
//
// The forward runs all branches of a step in lockstep, layer by layer, because CDG's
// dual gate chooses one threshold per layer from the saliencies of both branches.
// Each branch brings its own parameters (online or EMA target) and its own weight
// masks (SyncCP): a prunable conv computes with W ⊙ M_branch.
import * as tf from '@tensorflow/tfjs';
import { liveOutputChannels, maskedConv2d, outputChannelKeep, usesSparseKernel, type SparseKernelMode } from './maskedConv';
import type { Config } from '../config';
import { stageStrides } from '../config';
import { batchNorm, type BatchMoments } from './batchnorm';
import { heNormal, paramSeed, type ParamMap, type RunningStats } from './params';

export interface ConvLayerSpec {
  name: string;
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  stride: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  /** Every conv but the stem can be pruned and gated. */
  prunable: boolean;
}

export interface BlockSpec {
  name: string;
  conv1: ConvLayerSpec;
  conv2: ConvLayerSpec;
  shortcut?: ConvLayerSpec;
}

export interface ResNetSpec {
  inH: number;
  inW: number;
  channels: number;
  stem: ConvLayerSpec;
  blocks: BlockSpec[];
  /** All convs in forward order (stem first). */
  convs: ConvLayerSpec[];
  featureDim: number;
}

function conv(name: string, k: number, cin: number, cout: number, stride: number, inH: number, inW: number, prunable: boolean): ConvLayerSpec {
  // 'same' padding: out = ceil(in / stride).
  return { name, kh: k, kw: k, cin, cout, stride, inH, inW, outH: Math.ceil(inH / stride), outW: Math.ceil(inW / stride), prunable };
}

export function resnetSpec(model: Config['model'], inH: number, inW: number, channels: number): ResNetSpec {
  const strides = stageStrides(model);
  const stem = conv('stem.conv', 3, channels, model.widths[0], 1, inH, inW, false);
  const blocks: BlockSpec[] = [];
  let h = stem.outH;
  let w = stem.outW;
  let c = model.widths[0];
  model.widths.forEach((width, s) => {
    for (let b = 0; b < model.blocks; b++) {
      const stride = b === 0 ? strides[s] : 1;
      const name = `s${s + 1}.b${b}`;
      const conv1 = conv(`${name}.conv1`, 3, c, width, stride, h, w, true);
      const conv2 = conv(`${name}.conv2`, 3, width, width, 1, conv1.outH, conv1.outW, true);
      const shortcut = stride !== 1 || c !== width ? conv(`${name}.short`, 1, c, width, stride, h, w, true) : undefined;
      blocks.push({ name, conv1, conv2, shortcut });
      h = conv1.outH;
      w = conv1.outW;
      c = width;
    }
  });
  const convs = [stem, ...blocks.flatMap((b) => [b.conv1, b.conv2, ...(b.shortcut ? [b.shortcut] : [])])];
  return { inH, inW, channels, stem, blocks, convs, featureDim: c };
}

/**
 * conv name → the conv whose BN+ReLU output is its whole input (a block's conv2 ← conv1):
 * where conv1 prunes output channels whole, conv2 reads zeros there (FLOPs, update masks).
 */
export function channelFeeders(spec: ResNetSpec): Map<string, string> {
  return new Map(spec.blocks.map((b) => [b.conv2.name, b.conv1.name]));
}

export function prunableConvs(spec: ResNetSpec): ConvLayerSpec[] {
  return spec.convs.filter((c) => c.prunable);
}

/** BN layer that follows a conv: "s1.b0.conv1" → "s1.b0.bn1"; "…short" → "…shortbn"; "stem.conv" → "stem.bn". */
export function bnNameFor(convName: string): string {
  if (convName.endsWith('.conv1')) return convName.replace(/\.conv1$/, '.bn1');
  if (convName.endsWith('.conv2')) return convName.replace(/\.conv2$/, '.bn2');
  if (convName.endsWith('.short')) return `${convName}bn`;
  return convName.replace(/\.conv$/, '.bn');
}

/** Fresh encoder parameters (He-normal convs, BN γ=1 β=0) and running stats, seeded per name. */
export function initResNet(spec: ResNetSpec, seed: number): { params: ParamMap; stats: Record<string, { mean: tf.Tensor; variance: tf.Tensor }> } {
  const params: ParamMap = {};
  const stats: Record<string, { mean: tf.Tensor; variance: tf.Tensor }> = {};
  for (const c of spec.convs) {
    params[c.name] = heNormal([c.kh, c.kw, c.cin, c.cout], c.kh * c.kw * c.cin, paramSeed(seed, c.name));
    const bn = bnNameFor(c.name);
    params[`${bn}.gamma`] = tf.ones([c.cout]);
    params[`${bn}.beta`] = tf.zeros([c.cout]);
    stats[bn] = { mean: tf.zeros([c.cout]), variance: tf.ones([c.cout]) };
  }
  return { params, stats };
}

/** One branch of a step: its parameters, running stats and (optional) weight masks. */
export interface Branch {
  params: ParamMap;
  stats?: RunningStats;
  masks?: Record<string, tf.Tensor>;
  /** Batch moments of every BN layer, pushed here in training mode. */
  moments?: BatchMoments[];
}

/**
 * Computes one prunable conv for all branches at once; xs[i] and ws[i] belong to branch i
 * (ws are the effective weights W ⊙ M). The default is a plain conv per branch; CDG replaces it.
 */
export type ConvHook = (layer: ConvLayerSpec, xs: tf.Tensor4D[], ws: tf.Tensor4D[]) => tf.Tensor4D[];

export const plainConv: ConvHook = (layer, xs, ws) => xs.map((x, i) => tf.conv2d(x, ws[i], layer.stride, 'same'));

export interface ForwardOptions {
  training: boolean;
  convHook?: ConvHook;
  /**
   * Masked convs without a conv hook: 'auto' runs conv(x, W ⊙ M) on kernels that skip the
   * masked weights where that is faster on this backend (nn/maskedConv.ts), 'off' always
   * multiplies by the mask and convolves densely (default: 'off').
   */
  sparseKernels?: SparseKernelMode;
  /**
   * The masks prune whole output channels (SyncCP's channel granularity): BN's γ and β are
   * masked with the kept channels, so a pruned channel is exactly 0 after BN (and ReLU), and
   * the conv after it (a block's conv2) may skip it. Off: BN as usual (a channel whose
   * weights are all masked gives β), nothing skipped downstream.
   */
  prunedChannels?: boolean;
}

/** Effective weight of a conv in one branch: W ⊙ M where a mask exists. */
export function effectiveWeight(branch: Branch, name: string): tf.Tensor4D {
  const w = branch.params[name] as tf.Tensor4D;
  const m = branch.masks?.[name];
  return (m ? tf.mul(w, m) : w) as tf.Tensor4D;
}

/**
 * Effective weights of every branch; branches with the same weight and mask tensors (the
 * two views of one network) share one W ⊙ M, so masking costs one multiply a network,
 * not one a view, forward and backward.
 */
function effectiveWeights(branches: Branch[], name: string): tf.Tensor4D[] {
  const made: { w: tf.Tensor; m: tf.Tensor | undefined; eff: tf.Tensor4D }[] = [];
  return branches.map((b) => {
    const w = b.params[name];
    const m = b.masks?.[name];
    const hit = made.find((e) => e.w === w && e.m === m);
    if (hit) return hit.eff;
    const eff = effectiveWeight(b, name);
    made.push({ w, m, eff });
    return eff;
  });
}

/** The masked convs of a layer, each through maskedConv2d (sparse kernels where they pay). */
function maskedConvs(spec: ConvLayerSpec, branches: Branch[], xs: tf.Tensor4D[], mode: SparseKernelMode, liveInputs: (Int32Array | undefined)[]): tf.Tensor4D[] | undefined {
  const masks = branches.map((b) => b.masks?.[spec.name]);
  if (masks.some((m) => !m) || !masks.some((m, i) => usesSparseKernel(m!, mode, liveInputs[i]))) return undefined;
  return xs.map((x, i) => maskedConv2d(x, branches[i].params[spec.name] as tf.Tensor4D, masks[i]!, spec.stride, mode, liveInputs[i]));
}

/**
 * BN's γ and β of a branch, multiplied by the layer's output-channel keep vector where its
 * mask prunes channels whole (with ForwardOptions.prunedChannels): a pruned channel's conv
 * output is all zeros, so its batch mean and variance are 0, x̂ = 0, and with β masked its
 * BN output is exactly 0 rather than β (and 0 after ReLU). Its γ and β then get no gradient and keep their values, like masked
 * weights. This is what lets the next conv skip that input channel (maskedConv2d's liveInputs).
 */
function maskedAffine(spec: ConvLayerSpec, branch: Branch, bn: string, opts: ForwardOptions, keeps: Map<tf.Tensor, tf.Tensor1D | undefined>): { gamma: tf.Tensor; beta: tf.Tensor } {
  const gamma = branch.params[`${bn}.gamma`];
  const beta = branch.params[`${bn}.beta`];
  const mask = opts.prunedChannels && spec.prunable ? branch.masks?.[spec.name] : undefined;
  if (!mask) return { gamma, beta };
  // Branches sharing a mask (the two views of one network) share its keep vector.
  if (!keeps.has(mask)) keeps.set(mask, outputChannelKeep(mask));
  const keep = keeps.get(mask);
  return keep ? { gamma: tf.mul(gamma, keep), beta: tf.mul(beta, keep) } : { gamma, beta };
}

function convBn(spec: ConvLayerSpec, branches: Branch[], xs: tf.Tensor4D[], opts: ForwardOptions, liveInputs: (Int32Array | undefined)[] = []): tf.Tensor4D[] {
  const sparse = spec.prunable && !opts.convHook && opts.sparseKernels && opts.sparseKernels !== 'off' ? maskedConvs(spec, branches, xs, opts.sparseKernels, liveInputs) : undefined;
  const ys = sparse ?? (spec.prunable && opts.convHook ? opts.convHook(spec, xs, effectiveWeights(branches, spec.name)) : plainConv(spec, xs, effectiveWeights(branches, spec.name)));
  const bn = bnNameFor(spec.name);
  const keeps = new Map<tf.Tensor, tf.Tensor1D | undefined>();
  return ys.map((y, i) => {
    const { gamma, beta } = maskedAffine(spec, branches[i], bn, opts, keeps);
    return batchNorm(y, bn, gamma, beta, branches[i].stats?.[bn], opts.training, branches[i].moments) as tf.Tensor4D;
  });
}

/**
 * Per branch, the output channels of `spec` that can be nonzero after its BN and ReLU, when
 * the cpu kernels may skip the others in the next conv (undefined: all, or no skipping).
 */
function liveAfter(spec: ConvLayerSpec, branches: Branch[], opts: ForwardOptions): (Int32Array | undefined)[] {
  const mode = opts.sparseKernels ?? 'off';
  return branches.map((b) => {
    // Only zeros that BN makes exact (prunedChannels) may be skipped.
    const m = opts.prunedChannels && spec.prunable && !opts.convHook ? b.masks?.[spec.name] : undefined;
    return m ? liveOutputChannels(m, mode) : undefined;
  });
}

/** Encoder forward for all branches in lockstep: returns pooled features [B, featureDim] per branch. */
export function forwardResNet(spec: ResNetSpec, branches: Branch[], xs: tf.Tensor4D[], opts: ForwardOptions): tf.Tensor2D[] {
  let hs: tf.Tensor4D[] = convBn(spec.stem, branches, xs, opts).map((h) => tf.relu(h));
  for (const block of spec.blocks) {
    const a: tf.Tensor4D[] = convBn(block.conv1, branches, hs, opts).map((h) => tf.relu(h));
    // conv1's pruned channels are exact zeros in `a`: conv2 may skip them. conv2's own pruned
    // channels are not skipped downstream: the shortcut is added to them.
    const b = convBn(block.conv2, branches, a, opts, liveAfter(block.conv1, branches, opts));
    const sc = block.shortcut ? convBn(block.shortcut, branches, hs, opts) : hs;
    hs = b.map((t, i) => tf.relu(tf.add(t, sc[i])) as tf.Tensor4D);
  }
  return hs.map((h) => tf.mean(h, [1, 2]) as tf.Tensor2D);
}
