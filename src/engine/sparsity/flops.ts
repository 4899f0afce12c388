// MACs and FLOPs per image for convolutions (tfjs kernel [kh, kw, C_in, C_out], NHWC
// activations) and linear layers ([in, out]), dense and effective under weight density,
// N:M (N kept of every M input channels; N:M groups count N/M of their MACs, dense groups
// and the tail count fully) and CDG gating (base path on the first ⌈β·C_in⌉ input
// channels always computed, conditional path × gate density). Effective MACs are
//   H_out·W_out·kh·kw·C_out · Σ_c w(c)·a(c)
// over input channels c, with w(c) the fraction of c's weights kept and a(c) = 1 on the
// base segment, the gate density on the conditional one; so the factors multiply.
// FLOPs = 2·MACs; training = forward + input gradient + weight gradient (no weight gradient
// for a weight that is set, not trained: noWeightGradient; no input gradient for a layer
// whose input is the images, which nothing trains: noInputGradient — the stem conv, whose
// Conv2DBackpropInput tfjs never runs), each the MACs of one forward, except CDG's
// conditional path under a straight-through gate gradient ('ste'): the gate's gradient dg = Σ dY ⊙ Y_c needs Y_c at closed locations too, so the
// training forward counts the conditional path in full (its two gradient passes stay
// × gate density: dY_c = dY ⊙ g is 0 where the gate is closed). With 'detached' (no gate
// gradient at closed locations) all three passes count the conditional path × density.
// A forward-only pass (BYOL's target) counts × density in both modes. These are the FLOPs
// an ideal gated kernel would need: the cpu and WebGPU gated convs compute exactly these
// (kernels/cpuGatedConvSparse.ts, webgpuGatedConv.ts); wasm computes the conditional forward
// everywhere and its gradients as counted; WebGL computes everything and multiplies by the
// gate (counted as skippable, not skipped).
// A layer whose input channels are partly exact zeros (`inputDensity`: the previous conv's
// output channels pruned whole, BN and ReLU giving 0 there) counts × inputDensity in all
// three passes: the skipped channels need no forward, their input gradient is not needed
// and their weight gradient is 0.
// Not counted: the gate's own cost (saliency, threshold); an N:M layer given without a mask
// counts its expected kept fraction.

import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkNM, checkUnit, fail } from './validate';
import { floatMask } from './floatMask';

export type Padding = 'same' | 'valid' | number;

export interface ConvLayerSpec {
  kind: 'conv';
  name: string;
  kh: number;
  kw: number;
  cIn: number;
  cOut: number;
  /** Output size, given directly… */
  outH?: number;
  outW?: number;
  /** …or computed from the input size, stride (default 1) and padding (default 'same'). */
  inH?: number;
  inW?: number;
  stride?: number | [number, number];
  padding?: Padding;
  /** Its input is the images (the stem): training needs no input gradient, only the forward and the weight gradient. */
  noInputGradient?: boolean;
}

export interface LinearLayerSpec {
  kind: 'linear';
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** A weight that is set, not trained (DirectPred's predictor): training counts its forward and input gradient only. */
  noWeightGradient?: boolean;
}

export interface LayerSparsity {
  /** (a) Fraction of weights kept (unstructured or channel masks); default 1. */
  weightDensity?: number;
  /**
   * (b) N:M over input channels: a fraction (default 1) of the full groups keeps n of m,
   * the other full groups and the tail (C_in mod m channels) are dense.
   */
  nm?: { n: number; m: number; fraction?: number };
  /**
   * Exact alternative to (a)/(b): kept weights per input channel (length C_in), e.g.
   * from keptPerInputChannel(mask). When given, weightDensity and nm are not used.
   */
  keptPerInputChannel?: ArrayLike<number>;
  /**
   * (c) CDG: base segment ⌈β·C_in⌉ (β default 1/4), conditional path × gate density;
   * `gradient` (default 'ste') decides what a training forward needs (file header).
   */
  /** `beta`: the base fraction (config cdg.beta, whose default is the only one). */
  gate?: { density: number; beta: number; gradient?: 'ste' | 'detached' };
  /**
   * Fraction of the input channels that can be nonzero (default 1): the rest are the
   * previous conv's output channels pruned whole, exact zeros after its BN and ReLU, which
   * this layer skips. Multiplies the effective MACs.
   */
  inputDensity?: number;
}

export type LayerFlopsSpec = (ConvLayerSpec | LinearLayerSpec) & { sparsity?: LayerSparsity };

export interface FlopsOptions {
  /** 'forward' = one forward pass; 'training' (default) = 3 × forward. */
  pass?: 'forward' | 'training';
  /** Images (or views) per step; default 1. Multiplies everything. */
  batch?: number;
}

export interface LayerFlops {
  name: string;
  dense: number;
  effective: number;
}

export interface FlopsSummary {
  layers: LayerFlops[];
  dense: number;
  effective: number;
}

/** Number of base-path input channels for CDG: ⌈β·C_in⌉ (robust to β·C_in rounding up by 1 ulp). */
export function baseChannels(cIn: number, beta: number): number {
  checkInteger('baseChannels', 'cIn', cIn, 1);
  checkUnit('baseChannels', 'beta', beta);
  return Math.min(cIn, Math.max(0, Math.ceil(beta * cIn - 1e-9)));
}

function strides(fn: string, s: number | [number, number] | undefined): [number, number] {
  const [sh, sw] = s === undefined ? [1, 1] : typeof s === 'number' ? [s, s] : s;
  checkInteger(fn, 'stride', sh, 1);
  checkInteger(fn, 'stride', sw, 1);
  return [sh, sw];
}

function outDim(fn: string, size: number, k: number, stride: number, padding: Padding): number {
  if (padding === 'same') return Math.ceil(size / stride);
  if (padding === 'valid') {
    if (size < k) fail(fn, `input is smaller than the kernel with padding 'valid' (got size=${size}, k=${k})`);
    return Math.ceil((size - k + 1) / stride);
  }
  checkInteger(fn, 'padding', padding, 0);
  const out = Math.floor((size + 2 * padding - k) / stride) + 1;
  if (out < 1) fail(fn, `padded input is smaller than the kernel (got size=${size}, padding=${padding}, k=${k})`);
  return out;
}

/** Output height and width of a conv layer. */
export function convOutputSize(spec: ConvLayerSpec): [number, number] {
  const fn = `convOutputSize(${spec.name})`;
  if (spec.outH !== undefined || spec.outW !== undefined) {
    checkInteger(fn, 'outH', spec.outH as number, 1);
    checkInteger(fn, 'outW', spec.outW as number, 1);
    return [spec.outH as number, spec.outW as number];
  }
  if (spec.inH === undefined || spec.inW === undefined) {
    fail(fn, `give either outH/outW or inH/inW (got inH=${String(spec.inH)}, inW=${String(spec.inW)})`);
  }
  checkInteger(fn, 'inH', spec.inH, 1);
  checkInteger(fn, 'inW', spec.inW, 1);
  const [sh, sw] = strides(fn, spec.stride);
  const padding = spec.padding ?? 'same';
  return [outDim(fn, spec.inH, spec.kh, sh, padding), outDim(fn, spec.inW, spec.kw, sw, padding)];
}

function geometry(layer: LayerFlopsSpec): { locations: number; perChannel: number; cIn: number } {
  const fn = `layerMacs(${layer.name})`;
  if (layer.kind === 'linear') {
    checkInteger(fn, 'inFeatures', layer.inFeatures, 1);
    checkInteger(fn, 'outFeatures', layer.outFeatures, 1);
    return { locations: 1, perChannel: layer.outFeatures, cIn: layer.inFeatures };
  }
  if (layer.kind !== 'conv') fail(fn, `kind must be 'conv' or 'linear' (got kind=${String((layer as { kind: unknown }).kind)})`);
  for (const k of ['kh', 'kw', 'cIn', 'cOut'] as const) checkInteger(fn, k, layer[k], 1);
  const [oh, ow] = convOutputSize(layer);
  // MACs contributed by one input channel at one output location: kh·kw·C_out
  return { locations: oh * ow, perChannel: layer.kh * layer.kw * layer.cOut, cIn: layer.cIn };
}

/** Dense MACs of one layer for one image: H_out·W_out·kh·kw·C_in·C_out (linear: in·out). */
export function denseMacs(layer: LayerFlopsSpec): number {
  const g = geometry(layer);
  return g.locations * g.perChannel * g.cIn;
}

/** Effective MACs of one layer for one image under its sparsity (see the file header). */
export function effectiveMacs(layer: LayerFlopsSpec): number {
  const fn = `effectiveMacs(${layer.name})`;
  const g = geometry(layer);
  const sp = layer.sparsity ?? {};
  const cIn = g.cIn;
  // w(c): fraction of input channel c's weights kept
  const w = new Float64Array(cIn).fill(1);
  if (sp.keptPerInputChannel !== undefined) {
    const kept = sp.keptPerInputChannel;
    if (kept.length !== cIn) {
      fail(fn, `keptPerInputChannel must have length C_in (got length=${kept.length}, C_in=${cIn})`);
    }
    for (let c = 0; c < cIn; c++) {
      const k = kept[c];
      if (!Number.isFinite(k) || k < 0 || k > g.perChannel) {
        fail(fn, `keptPerInputChannel[${c}] must be in [0, ${g.perChannel}] (got ${String(k)})`);
      }
      w[c] = k / g.perChannel;
    }
  } else {
    const d = sp.weightDensity ?? 1;
    checkUnit(fn, 'weightDensity', d);
    let nmFactor = 1;
    let nmChannels = 0;
    if (sp.nm !== undefined) {
      const { n, m } = sp.nm;
      const p = sp.nm.fraction ?? 1;
      checkNM(fn, n, m);
      checkUnit(fn, 'fraction', p);
      nmFactor = 1 - p * (1 - n / m); // expected kept fraction in a full group
      nmChannels = Math.floor(cIn / m) * m; // channels in full groups; the tail stays dense
    }
    for (let c = 0; c < cIn; c++) w[c] = d * (c < nmChannels ? nmFactor : 1);
  }
  let base = cIn;
  let gateDensity = 1;
  if (sp.gate !== undefined) {
    gateDensity = sp.gate.density;
    checkUnit(fn, 'gate.density', gateDensity);
    checkUnit(fn, 'gate.beta', sp.gate.beta);
    base = baseChannels(cIn, sp.gate.beta);
  }
  const live = sp.inputDensity ?? 1;
  checkUnit(fn, 'inputDensity', live);
  let sum = 0;
  for (let c = 0; c < cIn; c++) sum += w[c] * (c < base ? 1 : gateDensity);
  return g.locations * g.perChannel * sum * live;
}

/** Kept weights per input channel (axis 2) of a conv mask [kh, kw, C_in, C_out] or axis 0 of a linear mask [in, out]. */
export function keptPerInputChannel(mask: tf.Tensor): number[] {
  if (mask.rank !== 4 && mask.rank !== 2) {
    fail('keptPerInputChannel', `mask must have rank 4 or 2 (got shape [${mask.shape.join(', ')}])`);
  }
  const axes = mask.rank === 4 ? [0, 1, 3] : [1];
  const counts = tf.tidy(() => tf.sum(floatMask(mask), axes));
  const out = Array.from(counts.dataSync());
  counts.dispose();
  return out;
}

function passFactor(fn: string, opts: FlopsOptions): number {
  const pass = opts.pass ?? 'training';
  if (pass !== 'forward' && pass !== 'training') fail(fn, `pass must be 'forward' or 'training' (got pass=${String(pass)})`);
  const batch = opts.batch ?? 1;
  checkInteger(fn, 'batch', batch, 0);
  return 2 * (pass === 'training' ? 3 : 1) * batch; // FLOPs = 2·MACs
}

/**
 * MACs of the forward pass a training step needs: with a straight-through gate gradient
 * the conditional path is needed at every location (gate density counted as 1).
 */
export function trainingForwardMacs(layer: LayerFlopsSpec): number {
  const gate = layer.sparsity?.gate;
  if (!gate || (gate.gradient ?? 'ste') === 'detached') return effectiveMacs(layer);
  return effectiveMacs({ ...layer, sparsity: { ...layer.sparsity, gate: { ...gate, density: 1 } } });
}

/** FLOPs of one layer: 2·MACs (training: forward + input grad + weight grad, less a gradient the layer does not need), × batch. */
export function layerFlops(layer: LayerFlopsSpec, opts: FlopsOptions = {}): LayerFlops {
  const f = passFactor('layerFlops', opts) / ((opts.pass ?? 'training') === 'training' ? 3 : 1); // 2·batch
  const eff = effectiveMacs(layer);
  const dense = denseMacs(layer);
  if ((opts.pass ?? 'training') === 'forward') return { name: layer.name, dense: f * dense, effective: f * eff };
  const gradients = 2 - (layer.kind === 'linear' && layer.noWeightGradient ? 1 : 0) - (layer.kind === 'conv' && layer.noInputGradient ? 1 : 0);
  return { name: layer.name, dense: (1 + gradients) * f * dense, effective: f * (trainingForwardMacs(layer) + gradients * eff) };
}

/** Per-layer and total FLOPs of a network (training FLOPs of one image by default). */
export function networkFlops(layers: readonly LayerFlopsSpec[], opts: FlopsOptions = {}): FlopsSummary {
  const rows = layers.map((l) => layerFlops(l, opts));
  return {
    layers: rows,
    dense: rows.reduce((s, r) => s + r.dense, 0),
    effective: rows.reduce((s, r) => s + r.effective, 0),
  };
}
