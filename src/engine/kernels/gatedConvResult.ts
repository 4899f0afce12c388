// What every implementation of CDG's gated conv returns (sparsity/cdgGate.ts' tf-op path, its
// cpu/wasm host path, kernels/cpuGatedConvSparse.ts, webglGatedConv.ts, webgpuGatedConv.ts),
// and the helpers that build it. A module of its own so the kernels need not import
// sparsity/cdgGate.ts, which imports them.
import * as tf from '@tensorflow/tfjs';

export interface GatedConvResult {
  /** Gated outputs per branch [B, H_o, W_o, C_out]. */
  ys: tf.Tensor4D[];
  /** 0/1 gates per branch [B, H_o, W_o, G] (G = 1 for 'spatial'). */
  gates: tf.Tensor4D[];
  /** Normalised saliencies per branch, same shape as the gates. */
  saliency: tf.Tensor4D[];
  /**
   * Gate density pooled over all branches: differentiable through the surrogate with a
   * fixed or learned Δ; a constant on the cpu/wasm quantile path (nothing differentiates
   * it there: only the learned threshold's penalty uses its gradient).
   */
  density: tf.Scalar;
  /** Gate density of each branch [branches]. */
  branchDensity: tf.Tensor1D;
  /**
   * Δ the gate used (a scalar; −∞ or −NO_DELTA when every unit is open, +∞ or NO_DELTA when none is): the quantile's
   * midpoint between the last open and the first closed saliency, or the given Δ.
   */
  delta: tf.Scalar;
  baseChannels: number;
  groups: number;
}

/** The units a quantile gate ranks, pooled over branches: samples × output locations ('same' padding) × gate groups. */
export function pooledGateUnits(xs: readonly tf.Tensor4D[], stride: number, groups: number): number {
  return xs.reduce((a, x) => a + x.shape[0] * Math.ceil(x.shape[1] / stride) * Math.ceil(x.shape[2] / stride) * groups, 0);
}

/**
 * Beyond any saliency (normalised to mean 1): stands for ±∞ in device ops, since WGSL lets
 * implementations assume no infinities. The plugin ignores |Δ| ≥ NO_DELTA (all or none open).
 */
export const NO_DELTA = 3e38;

/** The options every quantile-gated conv reads (sparsity/cdgGate.ts' GateOptions and GatedConvOptions add the rest). */
export interface QuantileGateOptions {
  /** Target density of the pooled gate (quantile threshold). */
  density?: number;
  /** Sharpness α of the sigmoid surrogate (default 5). */
  alpha?: number;
  /** 'ste' (default): gate gradient at every location; 'detached': only where the gate is open. */
  gateGradient?: 'ste' | 'detached';
  /**
   * Per branch: true for one no loss reaches (BYOL's stop-gradient target). Its gate gets no
   * gradient, so with 'ste' too its conditional path is needed only at open units (cpu
   * computes it so); a gradient that does reach such a branch is an error.
   */
  forwardOnly?: readonly boolean[];
}

/** The parts of a result that are made only when read. */
export interface LazyParts {
  gates: () => tf.Tensor4D[];
  saliency: () => tf.Tensor4D[];
  density: () => tf.Scalar;
  delta: () => tf.Scalar;
}

/**
 * A result whose gates, saliencies, pooled density and Δ are made when first read (in the
 * reader's scope), once: a training step reads only branchDensity and Δ, so it makes no
 * tensors it drops.
 */
export function lazyGatedResult(eager: Pick<GatedConvResult, 'ys' | 'branchDensity' | 'baseChannels' | 'groups'>, lazy: LazyParts): GatedConvResult {
  let gates: tf.Tensor4D[] | undefined;
  let saliency: tf.Tensor4D[] | undefined;
  let density: tf.Scalar | undefined;
  let delta: tf.Scalar | undefined;
  return {
    ys: eager.ys,
    get gates() {
      return (gates ??= lazy.gates());
    },
    get saliency() {
      return (saliency ??= lazy.saliency());
    },
    get density() {
      return (density ??= lazy.density());
    },
    get delta() {
      return (delta ??= lazy.delta());
    },
    branchDensity: eager.branchDensity,
    baseChannels: eager.baseChannels,
    groups: eager.groups,
  };
}

/** A tensor pooled over the branches along the batch axis, split back into the branches' batches. */
export function splitBranches(t: tf.Tensor, batches: number[]): tf.Tensor4D[] {
  return batches.length === 1 ? [t as tf.Tensor4D] : (tf.split(t, batches, 0) as tf.Tensor4D[]);
}

/** Gate density of each branch from the pooled gate; equal batches (every preset): one reduction, not a mean a branch. */
export function branchMeans(gate: tf.Tensor, batches: number[]): tf.Tensor1D {
  return (
    batches.every((b) => b === batches[0]) ? tf.mean(tf.reshape(gate, [batches.length, -1]), 1) : tf.stack(splitBranches(gate, batches).map((g) => tf.mean(g)))
  ) as tf.Tensor1D;
}

/** Pooled host values (gates, saliencies: [ΣB, OH, OW, G] in branch order) as one tensor a branch. */
export function hostBranches(values: Float32Array, batches: number[], OH: number, OW: number, G: number): tf.Tensor4D[] {
  const cells = OH * OW * G;
  let o = 0;
  return batches.map((b) => {
    const t = tf.tensor4d(values.slice(o, o + b * cells), [b, OH, OW, G]);
    o += b * cells;
    return t;
  });
}

/** What a host path (cpu/wasm) computed: pooled gate and saliency values, per-branch densities, the quantile's k of n and Δ. */
export interface HostGate {
  ys: tf.Tensor4D[];
  gate: Float32Array;
  saliency: Float32Array;
  branchDensity: number[];
  open: number;
  k: number;
  n: number;
  delta: number;
  batches: number[];
  OH: number;
  OW: number;
  G: number;
  baseChannels: number;
}

/** The result of a host path: its pooled values made into tensors when read; Δ = ∓∞ when all / none are open. */
export function hostGatedResult(h: HostGate): GatedConvResult {
  return lazyGatedResult(
    { ys: h.ys, branchDensity: tf.tensor1d(h.branchDensity), baseChannels: h.baseChannels, groups: h.G },
    {
      gates: () => hostBranches(h.gate, h.batches, h.OH, h.OW, h.G),
      saliency: () => hostBranches(h.saliency, h.batches, h.OH, h.OW, h.G),
      density: () => tf.scalar(h.open / h.n),
      delta: () => tf.scalar(h.k === 0 ? Infinity : h.k === h.n ? -Infinity : h.delta),
    },
  );
}
