// CDG's gated conv (DESIGN.md "CDG"): the gate and the gated conv of every branch of a
// layer at once, dispatched to the backend's kernel. The plugin that gates every prunable
// (non-stem) conv of a step, schedules the density and reports it is sparsity/cdg.ts.
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
import * as tf from '@tensorflow/tfjs';
import { gatedConvWebGPU } from '../kernels/webgpuGatedConv';
import { webgpuGateSurrogate, webgpuTopKGate } from '../kernels/webgpuSelect';
import { gatedConvWebGL } from '../kernels/webglGatedConv';
import { cpuForward, gatedConvCpuSparse } from '../kernels/cpuGatedConvSparse';
import { gatedConvWasm, wasmForward } from '../kernels/wasmGatedConv';
import { gatedConvFixedOnHost } from '../kernels/hostFixedGate';
import { gatedConvHost } from '../kernels/cpuGatedConvHost';
import { branchMeans, NO_DELTA, pooledGateUnits, type GatedConvResult, type QuantileGateOptions } from '../kernels/gatedConvResult';
import { topKGate } from '../kernels/topKGate';
import { allFinite } from '../kernels/finiteValues';
import { webglGateSurrogate, webglSelectAvailable, webglTopKGate } from '../kernels/webglSelect';
import { baseChannels } from './flops';
import { effectiveGroups } from './channelGroups';

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
/** cpu or wasm: tensors are host memory, so reading one is free. */
export function hostBackend(): boolean {
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
    if (webglSelectAvailable(n) && !forceOps) {
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
 * The 'detached' gate gradient: value g, gradient ∂L/∂g ⊙ g, so through the output a closed
 * location passes no gradient to the saliency (or to a learned Δ) and its Y_c is never
 * needed. The density penalty still counts it (gatedConv: a layer all closed can reopen).
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
    // All / none open from the gate itself, not from the fills: tfjs' WebGL min and max start
    // from ±1e20, so a fill of ±3e38 came back as ±1e20 there, and Δ was ∓5e19, which the
    // plugin took for a real threshold (every gate open in evaluation for hundreds of reads).
    const allOpen = tf.greater(tf.min(g), 0.5);
    const noneOpen = tf.lessEqual(tf.max(g), 0.5);
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
  // The host kernels skip zero inputs (0 · w adds nothing), which hides a NaN or ∞ weight:
  // such weights take the tf-op path, whose convs propagate them (kernels/finiteValues.ts).
  const onHost = (tf.getBackend() === 'wasm' || hostBackend()) && opts.impl !== 'ops' && cb < cin;
  // Evaluation (a fixed Δ) as one forward-only host op; 'Sparse kernels: off' keeps the tf-op path as the reference.
  if (onHost && typeof opts.threshold === 'number' && opts.skipClosed && ws.every((w) => allFinite(w.dataSync()))) {
    return gatedConvFixedOnHost(xs, ws, opts.threshold, cb, G, stride, tf.getBackend() === 'wasm' ? wasmForward(cb, stride) : cpuForward(cb, G, true));
  }
  const host = onHost && opts.threshold === undefined && ws.every((w) => allFinite(w.dataSync()));
  if (host && opts.skipClosed && tf.getBackend() === 'wasm') return gatedConvWasm(xs, ws, opts, cb, G, stride);
  if (host && opts.skipClosed && hostBackend()) return gatedConvCpuSparse(xs, ws, opts, cb, G, stride);
  if (host && hostBackend()) return gatedConvHost(xs, ws, opts, cb, G, stride);
  if (tf.getBackend() === 'webgpu' && opts.threshold === undefined && opts.impl !== 'ops' && cb < cin) return gatedConvWebGPU(xs, ws, opts, cb, G, stride, opts.skipClosed);
  if (opts.threshold === undefined && opts.impl !== 'ops' && cb < cin && webglSelectAvailable(pooledGateUnits(xs, stride, G))) return gatedConvWebGL(xs, ws, opts, cb, G, stride);
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
  // The density penalty of a learned Δ counts every unit in both modes: through open units
  // only ('detached' as the output), a layer whose gates had all closed would get no gradient
  // from it and could never reopen.
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
