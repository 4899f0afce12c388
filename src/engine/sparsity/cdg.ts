// CDG — contrastive dual gating (DESIGN.md "CDG"): dynamic activation sparsity inside
// every prunable (non-stem) conv, for all branches of a step at once.
//
// Per gated conv, input X [B, H, W, C_in] (NHWC), kernel K [kh, kw, C_in, C_out]:
//   base path   Y_b = conv(X[..., :c_b], K[:, :, :c_b, :]),  c_b = baseChannels(C_in, β) = ⌈β·C_in⌉
//   cond. path  Y_c = conv(X[..., c_b:], K[:, :, c_b:, :])    (Y_b + Y_c = the dense conv)
//   saliency    s = mean over output channels of |Y_b|: [B, H_o, W_o, 1] ('spatial') or
//               [B, H_o, W_o, G] over G groups of consecutive output channels
//               ('channel-group'); divided by its per-sample mean (no parameters).
//   dual gate   the saliencies of ALL branches are pooled (concat along batch) and one
//               threshold Δ per layer is chosen: exactly round(d·N) of the N pooled units
//               open (largest s, ties by lower index), Δ midway between the last open and
//               the first closed value; or Δ given (tests) or learned (a variable, with
//               the penalty λ·(density − target)²).
//   output      Y = Y_b + g ⊙ Y_c, g ∈ {0,1} [B, H_o, W_o, G] broadcast over each group's
//               channels; ∂g/∂s ≈ α·σ'(α(s − Δ)) (straight-through, one tf.customGrad, so
//               TopK/comparisons inside it never reach the tape), ∂g/∂Δ = −that.
//   gate grad.  'ste' (default): the straight-through gradient at every location, which
//               needs Y_c where the gate is closed too; 'detached': ∂L/∂g is kept only
//               where the gate is open (× g), so closed locations need no conditional
//               compute forward or backward. On cpu (skipClosed, setting kernels.sparse)
//               kernels/cpuGatedConvSparse.ts computes Y_c only where each mode needs it;
//               on wasm kernels/wasmGatedConv.ts computes [Y_b | Y_c] as one XNNPACK conv
//               everywhere (SIMD dense beats JS skipping there) and dX_c, dK_c at open units;
//               on webgpu (skipClosed) 'detached' runs Y_c, dX and dK at open units only,
//               'ste' dX and dK (kernels/webgpuGatedConvSkip.wgsl.ts);
//               elsewhere both modes compute Y_c everywhere and multiply by g; flops.ts
//               counts what each mode needs.
//   evaluation  features must not depend on the other images of a batch, so the plugin
//               gates evaluation forwards with a fixed Δ per layer (an EMA of the
//               training Δ), not a per-batch quantile.
// The target density d follows the cubic schedule from 1 (dense) to config.cdg.density.
// Gate densities are read back with the loss (metric `cdg.gate.<conv>`: [branches]).
import * as tf from '@tensorflow/tfjs';
import { gatedConvWebGPU } from '../kernels/webgpuGatedConv';
import { webgpuGateSurrogate, webgpuTopKGate } from '../kernels/webgpuSelect';
import { gatedConvWebGL } from '../kernels/webglGatedConv';
import { gatedConvCpuSparse } from '../kernels/cpuGatedConvSparse';
import { gatedConvWasm } from '../kernels/wasmGatedConv';
import { gatedConvHost } from '../kernels/cpuGatedConvHost';
import { branchMeans, NO_DELTA, type GatedConvResult, type QuantileGateOptions } from '../kernels/gatedConvResult';
import { topKGate } from '../kernels/topKGate';
import { webglGateSurrogate, webglSelectAvailable, webglTopKGate } from '../kernels/webglSelect';
import type { CDGConfig } from '../config';
import { maskSlot, type BranchInfo, type PluginContext, type PluginState, type StepPlugin } from '../plugin';
import type { PluginRowFields } from '../runFile';
import { forwardResNet, prunableConvs, type Branch, type ConvHook, type ConvLayerSpec } from '../nn/resnet';
import { stepFlops } from '../stepFlops';
import { sslMethod } from '../ssl/registry';
import { baseChannels } from './flops';
import { scheduleOf, type CDGPlan } from './scheduleOf';

const EPS = 1e-8;

// Re-exported: callers (tests, bench checks) reach the gate's pieces through this module.
export { NO_DELTA, topKGate, type GatedConvResult };

export type Saliency = 'spatial' | 'channel-group';

export interface GateOptions extends QuantileGateOptions {
  /** Fixed Δ (number, may be ±Infinity) or a learned scalar Δ (tensor/variable): g = 1[s > Δ]; `density` is then ignored. */
  threshold?: number | tf.Tensor;
  /**
   * 'auto' (default): on cpu/wasm the quantile gate runs as one host op (see
   * kernels/cpuGatedConvHost.ts); 'ops': always the tf-op formulation GPU backends run (parity tests).
   */
  impl?: 'auto' | 'ops';
}

export interface GatedConvOptions extends GateOptions {
  /** Base-path fraction of input channels (default 1/4). */
  beta?: number;
  saliency?: Saliency;
  /** Output-channel groups for 'channel-group' (the largest divisor of C_out ≤ groups is used). */
  groups?: number;
  stride?: number;
  /** cpu: compute the conditional path only where the gradient mode needs it (kernels/cpuGatedConvSparse.ts); wasm: its gradients only (kernels/wasmGatedConv.ts); webgpu: as cpu (kernels/webgpuGatedConv.ts). Setting kernels.sparse. */
  skipClosed?: boolean;
}

/** α·σ'(α(s − Δ)) = α·σ·(1 − σ). */
function surrogate(s: tf.Tensor, delta: tf.Tensor | number, alpha: number): tf.Tensor {
  const sig = tf.sigmoid(tf.mul(tf.sub(s, delta), alpha));
  return tf.mul(tf.mul(sig, tf.sub(1, sig)), alpha);
}

type GradFn = Parameters<typeof tf.customGrad>[0];

/** Backends whose tensors live in host memory, where a readback costs nothing (no GPU sync). */
function hostBackend(): boolean {
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm';
}

/**
 * Exactly round(d·N) open units of s (largest first, ties by index); Δ midway at the boundary.
 * On cpu/wasm the selection is topKGate over the values; on webgpu one custom program
 * (kernels/webgpuSelect.ts; Δ and the surrogate a second one, run only by the gradient); on
 * webgl the radix select of kernels/webglSelect.ts (gate and Δ; the surrogate one program);
 * elsewhere topk + scatter. All stay on the device (no readback inside the forward pass).
 */
function quantileGate(s: tf.Tensor, density: number, alpha: number, forceOps = false): tf.Tensor {
  const n = s.size;
  const k = Math.min(n, Math.max(0, Math.round(density * n)));
  const f = ((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    if (k === 0 || k === n) {
      // Δ = ±∞: the surrogate derivative is 0 everywhere.
      return { value: k === 0 ? tf.zerosLike(x) : tf.onesLike(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
    }
    if (tf.getBackend() === 'webgpu') {
      const gate = webgpuTopKGate(x, k);
      save([x, gate]);
      return {
        value: gate,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => webgpuGateSurrogate(saved[0], saved[1], dy, alpha),
      };
    }
    if (webglSelectAvailable() && !forceOps) {
      const r = webglTopKGate(x, k);
      save([x, r.delta]);
      return { value: r.gate, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => webglGateSurrogate(dy, saved[0], saved[1], alpha) };
    }
    let g: tf.Tensor;
    let delta: tf.Tensor;
    if (hostBackend() && !forceOps) {
      const r = topKGate(x.dataSync() as Float32Array, k);
      g = tf.tensor(r.gate, x.shape, 'float32');
      delta = tf.scalar(r.delta);
    } else {
      const flat = tf.reshape(x, [n]);
      const { values, indices } = tf.topk(flat, k + 1, true);
      const open = tf.slice(indices, [0], [k]);
      g = tf.reshape(tf.scatterND(tf.reshape(open, [k, 1]), tf.ones([k]), [n]), x.shape);
      delta = tf.mul(tf.add(tf.slice(values, [k - 1], [1]), tf.slice(values, [k], [1])), 0.5).reshape([]);
    }
    save([x, delta]);
    return {
      value: g,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, surrogate(saved[0], saved[1], alpha)),
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(s);
}

/**
 * The 'detached' gate gradient: value g, gradient ∂L/∂g ⊙ g, so a closed location passes
 * no gradient to the saliency (or to a learned Δ) and its Y_c is never needed.
 */
function detachClosed(g: tf.Tensor): tf.Tensor {
  const f = ((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([x]);
    return { value: tf.clone(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]) };
  }) as unknown as GradFn;
  return tf.customGrad(f)(g);
}

/** Δ of a 0/1 gate over saliencies s: midway between the smallest open and the largest closed value; ∓NO_DELTA when all / none are open. */
function boundaryDelta(s: tf.Tensor, g: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const open = tf.greater(g, 0.5);
    const openMin = tf.min(tf.where(open, s, tf.fill(s.shape, NO_DELTA)));
    const closedMax = tf.max(tf.where(open, tf.fill(s.shape, -NO_DELTA), s));
    const allOpen = tf.lessEqual(closedMax, -NO_DELTA);
    const noneOpen = tf.greaterEqual(openMin, NO_DELTA);
    const mid = tf.add(tf.mul(openMin, 0.5), tf.mul(closedMax, 0.5)); // halves first: no overflow
    return tf.where(allOpen, tf.scalar(-NO_DELTA), tf.where(noneOpen, tf.scalar(NO_DELTA), mid)) as tf.Scalar;
  });
}

/** g = 1[s > Δ] for a fixed Δ (number). */
function fixedGate(s: tf.Tensor, delta: number, alpha: number): tf.Tensor {
  const f = ((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([x]);
    return {
      value: tf.cast(tf.greater(x, delta), 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => (Number.isFinite(delta) ? tf.mul(dy, surrogate(saved[0], delta, alpha)) : tf.zerosLike(dy)),
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(s);
}

/** g = 1[s > Δ] with Δ a scalar tensor that receives −Σ dy·α·σ'(α(s − Δ)). */
function learnedGate(s: tf.Tensor, delta: tf.Tensor, alpha: number): tf.Tensor {
  const f = ((x: tf.Tensor, d: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([x, d]);
    return {
      value: tf.cast(tf.greater(x, d), 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const ds = tf.mul(dy, surrogate(saved[0], saved[1], alpha));
        return [ds, tf.reshape(tf.neg(tf.sum(ds)), saved[1].shape)];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(s, delta);
}

/**
 * The dual gate: saliencies of all branches (same shape but the batch axis) are gated
 * jointly with one threshold, then split back per branch. Not used by gatedConv (which
 * keeps the pooled gate): exported so the tests can run the production gate, pooledGate,
 * alone on every backend and compare the backends' selections with each other.
 */
export function dualGate(ss: tf.Tensor4D[], opts: GateOptions): tf.Tensor4D[] {
  const g = pooledGate(ss, opts);
  return ss.length === 1 ? [g as tf.Tensor4D] : (tf.split(g, ss.map((s) => s.shape[0]), 0) as tf.Tensor4D[]);
}

/** The dual gate over the saliencies of all branches concatenated along the batch axis. */
function pooledGate(ss: tf.Tensor4D[], opts: GateOptions): tf.Tensor {
  const alpha = opts.alpha ?? 5;
  const pooled = ss.length === 1 ? ss[0] : tf.concat(ss, 0);
  if (opts.threshold instanceof tf.Tensor) return learnedGate(pooled, opts.threshold, alpha);
  if (typeof opts.threshold === 'number') return fixedGate(pooled, opts.threshold, alpha);
  return quantileGate(pooled, opts.density ?? 1, alpha, opts.impl === 'ops');
}

/**
 * Mean of |Y_b| over each group of output channels: [B, H, W, C] → [B, H, W, G]. tfjs' GPU
 * reduction gives every output its own workgroup of 256 invocations and a shared-memory
 * tree: for 16–64 channels on SwiftShader's WebGPU that took ~200 ms for one default-size
 * layer. A matmul by a [C, G] matrix of 1/(C/G) blocks is one tiled dispatch (6× faster
 * there). cpu/wasm keep tf.mean, whose float32 result the host path reproduces exactly.
 */
function groupMean(a: tf.Tensor4D, G: number): tf.Tensor4D {
  const [b, h, w, c] = a.shape;
  const per = c / G;
  if (hostBackend()) return (G === 1 ? tf.mean(a, 3, true) : tf.mean(tf.reshape(a, [b, h, w, G, per]), 4)) as tf.Tensor4D;
  // Row c (an output channel), column q (a group): 1/per where channel c is in group q.
  const m = tf.tensor2d(Float32Array.from({ length: c * G }, (_, i) => (Math.floor(Math.floor(i / G) / per) === i % G ? 1 / per : 0)), [c, G]);
  return tf.reshape(tf.matMul(tf.reshape(a, [b * h * w, c]), m), [b, h, w, G]) as tf.Tensor4D;
}

/** Largest divisor of c that is ≤ groups (so groups tile the output channels exactly). */
export function effectiveGroups(cOut: number, groups: number): number {
  for (let g = Math.min(groups, cOut); g > 1; g--) if (cOut % g === 0) return g;
  return 1;
}

/**
 * Y = Y_b + g ⊙ Y_c with g [B, H, W, G] broadcast over each group of C_out/G channels.
 * On cpu/wasm one op with its gradient written out (dY_b = dY, dY_c = dY ⊙ g,
 * dg = Σ over the group of dY ⊙ Y_c): tfjs' cpu backend broadcasts element by element
 * through index arithmetic, which made the gating the second cost of a cdg step. The
 * same float32 operations in the same order as the tf ops used on GPU backends.
 */
export function applyGate(yb: tf.Tensor4D, yc: tf.Tensor4D, g: tf.Tensor4D, forceOps = false): tf.Tensor4D {
  const [b, h, wd, cout] = yc.shape;
  const G = g.shape[3];
  if (!hostBackend() || forceOps) {
    if (G === 1) return tf.add(yb, tf.mul(yc, g)) as tf.Tensor4D;
    const gated = tf.reshape(tf.mul(tf.reshape(yc, [b, h, wd, G, cout / G]), tf.expandDims(g, 4)), yc.shape);
    return tf.add(yb, gated) as tf.Tensor4D;
  }
  const per = cout / G;
  const f = ((ybT: tf.Tensor, ycT: tf.Tensor, gT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const bv = ybT.dataSync() as Float32Array;
    const cv = ycT.dataSync() as Float32Array;
    const gv = gT.dataSync() as Float32Array;
    const y = new Float32Array(bv.length);
    for (let loc = 0, i = 0; i < bv.length; loc++) {
      for (let q = 0; q < G; q++) {
        const gq = gv[loc * G + q];
        for (let j = 0; j < per; j++, i++) y[i] = bv[i] + Math.fround(cv[i] * gq);
      }
    }
    save([ycT, gT]);
    return {
      value: tf.tensor(y, ybT.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dv = dy.dataSync() as Float32Array;
        const c = saved[0].dataSync() as Float32Array;
        const gs = saved[1].dataSync() as Float32Array;
        const dc = new Float32Array(dv.length);
        const dg = new Float32Array(gs.length);
        for (let loc = 0, i = 0; i < dv.length; loc++) {
          for (let q = 0; q < G; q++) {
            const gq = gs[loc * G + q];
            let acc = 0;
            for (let j = 0; j < per; j++, i++) {
              dc[i] = dv[i] * gq;
              acc += Math.fround(dv[i] * c[i]);
            }
            dg[loc * G + q] = acc;
          }
        }
        return [tf.clone(dy), tf.tensor(dc, dy.shape, 'float32'), tf.tensor(dg, saved[1].shape, 'float32')];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(yb, yc, g) as tf.Tensor4D;
}

/**
 * The gated conv of every branch (see the file header); xs[i] with kernel ws[i], padding
 * 'same'. Pure: creates tensors in the caller's scope. The channel split is one tf.split
 * per tensor (its gradient is one concat, where two slices cost two pads and an add), and
 * a kernel shared by several branches (SimCLR) is split once.
 */
export function gatedConv(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: GatedConvOptions = {}): GatedConvResult {
  const cin = ws[0].shape[2];
  const cout = ws[0].shape[3];
  const cb = baseChannels(cin, opts.beta ?? 0.25);
  const G = opts.saliency === 'channel-group' ? effectiveGroups(cout, opts.groups ?? 4) : 1;
  const stride = opts.stride ?? 1;
  if (opts.skipClosed && tf.getBackend() === 'wasm' && opts.threshold === undefined && opts.impl !== 'ops' && cb < cin) return gatedConvWasm(xs, ws, opts, cb, G, stride);
  if (opts.skipClosed && hostBackend() && opts.threshold === undefined && opts.impl !== 'ops' && cb < cin) return gatedConvCpuSparse(xs, ws, opts, cb, G, stride);
  if (opts.threshold === undefined && opts.impl !== 'ops' && hostBackend() && cb < cin) return gatedConvHost(xs, ws, opts, cb, G, stride);
  if (tf.getBackend() === 'webgpu' && opts.threshold === undefined && opts.impl !== 'ops' && cb < cin) return gatedConvWebGPU(xs, ws, opts, cb, G, stride, opts.skipClosed);
  if (opts.threshold === undefined && opts.impl !== 'ops' && cb < cin && webglSelectAvailable()) return gatedConvWebGL(xs, ws, opts, cb, G, stride);
  const kernels = new Map<tf.Tensor, tf.Tensor4D[]>();
  const splitKernel = (w: tf.Tensor4D) => {
    let parts = kernels.get(w);
    if (!parts) {
      parts = cb < cin ? (tf.split(w, [cb, cin - cb], 2) as tf.Tensor4D[]) : [w];
      kernels.set(w, parts);
    }
    return parts;
  };
  const ybs: tf.Tensor4D[] = [];
  const ycs: (tf.Tensor4D | undefined)[] = [];
  const ss: tf.Tensor4D[] = [];
  xs.forEach((x, i) => {
    const [wb, wc] = splitKernel(ws[i]);
    const [xb, xc] = cb < cin ? (tf.split(x, [cb, cin - cb], 3) as tf.Tensor4D[]) : [x];
    const yb = tf.conv2d(xb, wb, stride, 'same');
    ybs.push(yb);
    ycs.push(cb < cin ? tf.conv2d(xc, wc, stride, 'same') : undefined);
    const raw = groupMean(tf.abs(yb), G);
    ss.push(tf.div(raw, tf.add(tf.mean(raw, [1, 2, 3], true), EPS)));
  });
  const pooled = pooledGate(ss, opts);
  const sizes = ss.map((t) => t.shape[0]);
  const toApply = opts.gateGradient === 'detached' ? detachClosed(pooled) : pooled;
  const gates = sizes.length === 1 ? [toApply as tf.Tensor4D] : (tf.split(toApply, sizes, 0) as tf.Tensor4D[]);
  const ys = ybs.map((yb, i) => {
    const yc = ycs[i];
    return yc ? applyGate(yb, yc, gates[i], opts.impl === 'ops') : yb;
  });
  const density = tf.mean(pooled) as tf.Scalar;
  const branchDensity = branchMeans(pooled, sizes);
  const delta =
    opts.threshold instanceof tf.Tensor
      ? (tf.reshape(opts.threshold, []) as tf.Scalar)
      : typeof opts.threshold === 'number'
        ? tf.scalar(opts.threshold)
        : boundaryDelta(ss.length === 1 ? ss[0] : tf.concat(ss, 0), pooled);
  return { ys, gates, saliency: ss, density, branchDensity, delta, baseChannels: cb, groups: G };
}

// ---------------------------------------------------------------------------------
// Plugin

/** One prunable conv in the CDG panel. */
export type CDGLayerSnapshot = {
  name: string;
  cin: number;
  cout: number;
  beta: number;
  /** ⌈β·C_in⌉ input channels always computed. */
  baseChannels: number;
  /** Scheduled target density of the conditional path (both branches together). */
  targetDensity: number;
  /**
   * Measured gate density of the conditional path on the last read-back training step.
   * SimCLR: `online` = branch 1 (view 1), `target` = branch 2 (view 2), same weights.
   * BYOL: online network over its two views, target network over its two views.
   */
  gateDensity: { online: number; target: number };
  /** Training FLOPs of this conv in one step, all branches (DESIGN.md "FLOPs"). */
  flops: { dense: number; effective: number; skipped: number };
  /** Spatial gate map of the probe pair: H×W per view, fraction of open units per location (0/1 for 'spatial'). */
  probe?: { h: number; w: number; gates: [Float32Array, Float32Array] };
};

export type CDGSnapshot = {
  kind: 'cdg';
  step: number;
  saliency: Saliency;
  threshold: 'quantile' | 'learned';
  /** Which gate gradient trains (and so which training FLOPs are counted). */
  gateGradient: 'ste' | 'detached';
  /** Δ per layer that evaluation forwards use (EMA of the training Δ; learned: Δ itself); absent before any. */
  evalThreshold: Record<string, number>;
  targetDensity: number;
  layers: CDGLayerSnapshot[];
  /** Totals over the gated convs (training FLOPs of one step, all branches). */
  flops: { dense: number; effective: number; skipped: number };
  /**
   * The fixed probe image (train index 0, fixed augmentation seed): its two augmented
   * views as RGBA bytes, size×size, gated jointly through the online network in
   * evaluation mode. Absent when the trainer provides no probe.
   */
  probe?: { size: number; views: [Uint8Array, Uint8Array] };
};

const METRIC = 'cdg.gate.';
const DELTA_METRIC = 'cdg.delta.';
/**
 * Momentum of the per-layer EMA of the training Δ that gates evaluation forwards: about the
 * last 10 steps, so it follows the density schedule closely yet no single batch sets it.
 */
export const EVAL_DELTA_MOMENTUM = 0.9;

/** How a forward is gated: training (joint quantile), evaluation (fixed Δ per layer), panel probe (joint quantile over the pair). */
type HookMode = 'train' | 'eval' | 'probe';
/** tfjs variable names must be unique while alive; several trainers may coexist. */
let nextId = 0;

export class CDGPlugin implements StepPlugin {
  readonly name = 'cdg';
  private readonly cfg: CDGConfig;
  private readonly layers: ConvLayerSpec[];
  private readonly plan: CDGPlan;
  private readonly deltas: Record<string, tf.Variable> = {};
  /** Quantile threshold: EMA of the finite training Δ per layer (host numbers), for evaluation. */
  private readonly evalDelta = new Map<string, number>();
  /** Training Δ per layer of the last forward (owned until metrics()). */
  private pendingDelta = new Map<string, tf.Tensor>();
  /** The metrics object last folded into evalDelta (report and gateDensity both see each step's). */
  private absorbed?: Record<string, Float32Array>;
  /** Per-layer gate densities [branches] of the last training forward (kept, owned until metrics()). */
  private pending = new Map<string, tf.Tensor>();
  private penalties: tf.Scalar[] = [];
  private infos: BranchInfo[] = [];
  private step = 0;
  private last?: Record<string, { online: number; target: number }>;

  constructor(private readonly ctx: PluginContext) {
    if (!ctx.config.cdg) throw new Error('CDGPlugin: config.cdg is not set');
    this.cfg = ctx.config.cdg;
    this.layers = prunableConvs(ctx.spec.encoder);
    this.plan = scheduleOf(ctx.config).cdg!;
    if (this.cfg.threshold === 'learned') {
      // Δ starts at 0 (normalised saliency has mean 1, so nearly everything is open: dense start).
      for (const l of this.layers) this.deltas[l.name] = tf.tidy(() => tf.variable(tf.scalar(0), true, `cdg.${l.name}.delta.${nextId++}`)); // tidy: the initial scalar is a tensor of its own
    }
  }

  /** Target density of the conditional path at `step`: cubic from 1 to config density. */
  targetDensity(step: number): number {
    return this.plan.at(step);
  }

  beforeStep(step: number): void {
    this.step = step;
  }

  private disposePending(): void {
    for (const t of this.pending.values()) t.dispose();
    this.pending.clear();
    for (const t of this.pendingDelta.values()) t.dispose();
    this.pendingDelta.clear();
  }

  /**
   * Δ of an evaluation forward: the learned Δ, or the EMA of the training quantile's Δ;
   * before any training step has a finite Δ (dense start) every gate is open, as in training.
   */
  evalThreshold(layer: string): number | tf.Tensor {
    if (this.cfg.threshold === 'learned') return this.deltas[layer];
    return this.evalDelta.get(layer) ?? -Infinity;
  }

  /** Folds a step's read-back training Δs into the evaluation EMA (once per metrics object). */
  private absorb(metrics: Record<string, Float32Array>): void {
    if (this.absorbed === metrics) return;
    this.absorbed = metrics;
    for (const l of this.layers) {
      const d = metrics[DELTA_METRIC + l.name]?.[0];
      if (d === undefined || !Number.isFinite(d) || Math.abs(d) >= NO_DELTA) continue; // all or none open: no boundary
      const prev = this.evalDelta.get(l.name);
      this.evalDelta.set(l.name, prev === undefined ? d : EVAL_DELTA_MOMENTUM * prev + (1 - EVAL_DELTA_MOMENTUM) * d);
    }
  }

  private makeHook(mode: HookMode, step: number, capture?: Map<string, tf.Tensor[]>): ConvHook {
    const density = this.targetDensity(step);
    const training = mode === 'train';
    return (layer, xs, ws) => {
      const r = gatedConv(xs, ws, {
        beta: this.cfg.beta,
        density,
        threshold: this.cfg.threshold === 'learned' ? this.deltas[layer.name] : mode === 'eval' ? (this.evalThreshold(layer.name) as number) : undefined,
        alpha: this.cfg.alpha,
        gateGradient: this.cfg.gateGradient,
        saliency: this.cfg.saliency,
        groups: this.cfg.groups,
        stride: layer.stride,
        skipClosed: this.ctx.config.kernels.sparse !== 'off',
      });
      if (training) {
        this.pending.get(layer.name)?.dispose();
        this.pending.set(layer.name, tf.keep(r.branchDensity));
        if (this.cfg.threshold === 'quantile') {
          this.pendingDelta.get(layer.name)?.dispose();
          this.pendingDelta.set(layer.name, tf.keep(r.delta));
        }
        if (this.cfg.threshold === 'learned') this.penalties.push(tf.square(tf.sub(r.density, density)) as tf.Scalar);
      }
      if (capture) capture.set(layer.name, r.gates.map((g) => tf.keep(r.groups === 1 ? tf.squeeze(g, [3]) : tf.mean(g, 3))));
      return r.ys;
    };
  }

  convHook(branches: BranchInfo[], training: boolean, step: number): ConvHook {
    if (training) {
      // A new training forward: drop gate densities nobody read (e.g. an extra forward for effective gradients).
      this.disposePending();
      this.penalties = [];
      this.infos = branches;
      this.step = step;
    }
    return this.makeHook(training ? 'train' : 'eval', step);
  }

  extraLoss(): tf.Scalar | undefined {
    if (this.cfg.threshold !== 'learned' || this.penalties.length === 0) return undefined;
    const p = tf.mul(tf.addN(this.penalties), this.cfg.penalty) as tf.Scalar;
    this.penalties = [];
    return p;
  }

  variables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(this.deltas)) out[`cdg.${name}.delta`] = v;
    return out;
  }

  metrics(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.pending) out[METRIC + name] = t;
    for (const [name, t] of this.pendingDelta) out[DELTA_METRIC + name] = t;
    this.pending = new Map(); // handed to the trainer, which disposes them
    this.pendingDelta = new Map();
    return out;
  }

  /** Per layer, densities pooled by role (BYOL: over both views of each network). */
  private densities(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number }> | undefined {
    const out: Record<string, { online: number; target: number }> = {};
    let any = false;
    for (const l of this.layers) {
      const m = metrics[METRIC + l.name];
      if (!m || m.length !== this.infos.length) continue;
      const acc = { online: [0, 0], target: [0, 0] };
      this.infos.forEach((info, i) => {
        acc[maskSlot(info.role)][0] += m[i];
        acc[maskSlot(info.role)][1] += 1;
      });
      const mean = (a: number[]) => (a[1] > 0 ? a[0] / a[1] : NaN);
      out[l.name] = { online: mean(acc.online), target: mean(acc.target) };
      any = true;
    }
    if (any) this.last = out;
    return any ? out : undefined;
  }

  report(metrics: Record<string, Float32Array>): PluginRowFields {
    this.absorb(metrics);
    const d = this.densities(metrics);
    return d ? { gateDensity: d, gateTarget: this.targetDensity(this.step) } : {};
  }

  gateDensity(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number; beta: number; gradient: 'ste' | 'detached' }> {
    this.absorb(metrics);
    const d = this.densities(metrics);
    const target = this.targetDensity(this.step);
    const out: Record<string, { online: number; target: number; beta: number; gradient: 'ste' | 'detached' }> = {};
    for (const l of this.layers) {
      // Without a read-back (e.g. flops() before any step) count the scheduled density.
      const v = d?.[l.name] ?? { online: target, target };
      out[l.name] = { online: v.online, target: v.target, beta: this.cfg.beta, gradient: this.cfg.gateGradient };
    }
    return out;
  }

  async snapshot(): Promise<CDGSnapshot> {
    const step = this.step;
    const target = this.targetDensity(step);
    const gates = this.last ?? Object.fromEntries(this.layers.map((l) => [l.name, { online: target, target }]));
    const cfg = this.ctx.config;
    const flops = stepFlops(
      this.ctx.spec,
      this.infos.length ? this.infos : sslMethod(cfg.ssl.method).branches(),
      cfg.ssl.method,
      cfg.batchSize,
      { gate: Object.fromEntries(this.layers.map((l) => [l.name, { ...gates[l.name], beta: this.cfg.beta, gradient: this.cfg.gateGradient }])) },
    );
    const layerFlops = new Map(flops.layers.map((l) => [l.name, l]));
    const layers: CDGLayerSnapshot[] = this.layers.map((l) => {
      const f = layerFlops.get(l.name) ?? { dense: 0, effective: 0 };
      return {
        name: l.name,
        cin: l.cin,
        cout: l.cout,
        beta: this.cfg.beta,
        baseChannels: baseChannels(l.cin, this.cfg.beta),
        targetDensity: target,
        gateDensity: gates[l.name],
        flops: { dense: f.dense, effective: f.effective, skipped: f.dense - f.effective },
      };
    });
    const total = layers.reduce((a, l) => ({ dense: a.dense + l.flops.dense, effective: a.effective + l.flops.effective }), { dense: 0, effective: 0 });
    const snap: CDGSnapshot = {
      kind: 'cdg',
      step,
      saliency: this.cfg.saliency,
      threshold: this.cfg.threshold,
      gateGradient: this.cfg.gateGradient,
      evalThreshold: await this.evalThresholds(),
      targetDensity: target,
      layers,
      flops: { ...total, skipped: total.dense - total.effective },
    };
    const probe = this.ctx.probe?.();
    if (!probe) return snap;
    const capture = new Map<string, tf.Tensor[]>();
    let packed: tf.Tensor | undefined;
    try {
      packed = tf.tidy(() => {
        const net = this.ctx.online;
        const branches: Branch[] = [0, 1].map(() => ({ params: net.vars, stats: net.stats }));
        forwardResNet(this.ctx.spec.encoder, branches, probe, { training: false, convHook: this.makeHook('probe', step, capture) });
        const rgba = probe.map((v) => {
          const rgb = v.shape[3] === 1 ? tf.tile(v, [1, 1, 1, 3]) : v;
          return tf.concat([tf.mul(tf.reshape(rgb, [-1, 3]), 255), tf.fill([v.shape[1] * v.shape[2], 1], 255)], 1).reshape([-1]);
        });
        const maps = this.layers.flatMap((l) => (capture.get(l.name) ?? []).map((m) => tf.reshape(m, [-1])));
        return tf.concat([...rgba, ...maps]);
      });
      const data = (await packed.data()) as Float32Array;
      const size = probe[0].shape[1];
      const n = size * size * 4;
      const views = [0, 1].map((i) => Uint8Array.from(data.subarray(i * n, (i + 1) * n), (x) => Math.max(0, Math.min(255, Math.round(x))))) as [Uint8Array, Uint8Array];
      let off = 2 * n;
      for (const ls of layers) {
        const spec = this.layers.find((l) => l.name === ls.name)!;
        const hw = spec.outH * spec.outW;
        const a = data.slice(off, off + hw);
        const b = data.slice(off + hw, off + 2 * hw);
        off += 2 * hw;
        ls.probe = { h: spec.outH, w: spec.outW, gates: [a, b] };
      }
      snap.probe = { size, views };
      return snap;
    } finally {
      packed?.dispose();
      tf.dispose(probe);
      for (const ts of capture.values()) tf.dispose(ts);
    }
  }

  /** Δ per layer that evaluation uses now (a learned Δ read from its variable, no dataSync). */
  private async evalThresholds(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const l of this.layers) {
      const t = this.evalThreshold(l.name);
      const v = typeof t === 'number' ? t : ((await t.data())[0] as number);
      if (Number.isFinite(v)) out[l.name] = v;
    }
    return out;
  }

  async exportState(): Promise<Record<string, unknown>> {
    const target = this.targetDensity(this.step);
    return {
      cdg: {
        beta: this.cfg.beta,
        gateGradient: this.cfg.gateGradient,
        evalThreshold: await this.evalThresholds(),
        targetDensity: target,
        layers: this.layers.map((l) => ({ name: l.name, ...(this.last?.[l.name] ?? { online: target, target }) })),
      },
    };
  }

  /** The step and the last read-back gate densities (the panel's numbers); the learned Δ are variables(), saved by the trainer. */
  saveState(): PluginState {
    return { meta: { step: this.step, last: this.last ?? null, infos: this.infos }, tensors: {} };
  }

  loadState(meta: unknown): void {
    const m = meta as { step: number; last: Record<string, { online: number; target: number }> | null; infos: BranchInfo[] };
    if (!m || typeof m.step !== 'number' || !Array.isArray(m.infos)) throw new Error('saved CDG state is malformed (expected step, last and infos)');
    this.step = m.step;
    this.last = m.last ?? undefined;
    this.infos = m.infos;
  }

  dispose(): void {
    this.disposePending();
    for (const v of Object.values(this.deltas)) v.dispose();
  }
}
