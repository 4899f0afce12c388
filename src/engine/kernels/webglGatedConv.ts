// CDG's quantile-gated conv on WebGL (gatedConv's semantics, see sparsity/cdg.ts): the
// tf-op formulation, but the pooled selection is webglSelect.ts' radix select (10 draws a
// layer, against tfjs' TopK + ScatterND), its Δ comes from the same state (the tf-op path
// computed it again from the gate: ~12 more draws), and the gate's straight-through
// gradient is one draw (with the 'detached' × g folded in) instead of ~8 ops. The convs
// stay tfjs' (packed im2col + matmul, what the dense conv runs too).
import * as tf from '@tensorflow/tfjs';
import type { GatedConvResult } from '../sparsity/cdg';
import { webglGateSurrogate, webglTopKGate } from './webglSelect';

const EPS = 1e-8;
/** sparsity/cdg.ts' NO_DELTA, repeated: importing it would make an import cycle. */
const NO_DELTA = 3e38;

type GradFn = Parameters<typeof tf.customGrad>[0];

/** Mean of |Y_b| over groups of output channels as one matmul (groupMean in cdg.ts: GPU reductions over few channels are slow). */
function groupMean(a: tf.Tensor4D, G: number): tf.Tensor4D {
  const [b, h, w, c] = a.shape;
  const per = c / G;
  const m = tf.tensor2d(Float32Array.from({ length: c * G }, (_, i) => (Math.floor(Math.floor(i / G) / per) === i % G ? 1 / per : 0)), [c, G]);
  return tf.reshape(tf.matMul(tf.reshape(a, [b * h * w, c]), m), [b, h, w, G]) as tf.Tensor4D;
}

/**
 * The pooled gate with exactly k of s open and its straight-through gradient
 * (dy · α·σ'(α(s − Δ)), × g when detached). Returns the gate and Δ [1].
 */
function selectGate(s: tf.Tensor, k: number, alpha: number, detached: boolean): { gate: tf.Tensor; delta: tf.Tensor } {
  let delta!: tf.Tensor;
  const f = ((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const r = webglTopKGate(x, k);
    delta = r.delta;
    save([x, r.delta, r.gate]);
    return {
      value: r.gate,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => webglGateSurrogate(dy, saved[0], saved[1], alpha, detached ? saved[2] : undefined),
    };
  }) as unknown as GradFn;
  const gate = tf.customGrad(f)(s);
  return { gate, delta };
}

/** Y = Y_b + g ⊙ Y_c, g [B, H, W, G] broadcast over each group of channels. */
function applyGate(yb: tf.Tensor4D, yc: tf.Tensor4D, g: tf.Tensor4D): tf.Tensor4D {
  const [b, h, wd, cout] = yc.shape;
  const G = g.shape[3];
  if (G === 1) return tf.add(yb, tf.mul(yc, g)) as tf.Tensor4D;
  return tf.add(yb, tf.reshape(tf.mul(tf.reshape(yc, [b, h, wd, G, cout / G]), tf.expandDims(g, 4)), yc.shape)) as tf.Tensor4D;
}

/**
 * The quantile-gated conv of every branch on webgl, for cb < C_in. Gates, saliencies and
 * the pooled density are made when first read (a training step reads only branchDensity
 * and Δ), from tensors of the caller's scope: read them before that scope ends.
 */
export function gatedConvWebGL(
  xs: tf.Tensor4D[],
  ws: tf.Tensor4D[],
  opts: { density?: number; alpha?: number; gateGradient?: 'ste' | 'detached' },
  cb: number,
  G: number,
  stride: number,
): GatedConvResult {
  const cin = ws[0].shape[2];
  const alpha = opts.alpha ?? 5;
  const detached = opts.gateGradient === 'detached';
  const kernels = new Map<tf.Tensor, tf.Tensor4D[]>();
  const ybs: tf.Tensor4D[] = [];
  const ycs: tf.Tensor4D[] = [];
  const ss: tf.Tensor4D[] = [];
  xs.forEach((x, i) => {
    let wParts = kernels.get(ws[i]);
    if (!wParts) kernels.set(ws[i], (wParts = tf.split(ws[i], [cb, cin - cb], 2) as tf.Tensor4D[]));
    const [xb, xc] = tf.split(x, [cb, cin - cb], 3) as tf.Tensor4D[];
    const yb = tf.conv2d(xb, wParts[0], stride, 'same');
    ybs.push(yb);
    ycs.push(tf.conv2d(xc, wParts[1], stride, 'same'));
    const raw = groupMean(tf.abs(yb), G);
    ss.push(tf.div(raw, tf.add(tf.mean(raw, [1, 2, 3], true), EPS)));
  });
  const pooledS = ss.length === 1 ? ss[0] : tf.concat(ss, 0);
  const n = pooledS.size;
  const k = Math.min(n, Math.max(0, Math.round((opts.density ?? 1) * n)));
  let gate: tf.Tensor;
  let delta: tf.Tensor;
  if (k === 0 || k === n) {
    // Δ = ∓∞ (∓NO_DELTA, as the tf-op path): no boundary, the surrogate derivative is 0.
    gate = k === 0 ? tf.zeros(pooledS.shape) : tf.ones(pooledS.shape);
    delta = tf.scalar(k === 0 ? NO_DELTA : -NO_DELTA);
  } else ({ gate, delta } = selectGate(pooledS, k, alpha, detached));
  const sizes = xs.map((x) => x.shape[0]);
  const perBranch = (t: tf.Tensor) => (sizes.length === 1 ? [t as tf.Tensor4D] : (tf.split(t, sizes, 0) as tf.Tensor4D[]));
  const gates = perBranch(gate);
  const ys = ybs.map((yb, i) => applyGate(yb, ycs[i], gates[i]));
  const branchDensity = (
    sizes.every((m) => m === sizes[0]) ? tf.mean(tf.reshape(gate, [sizes.length, -1]), 1) : tf.stack(gates.map((g) => tf.mean(g)))
  ) as tf.Tensor1D;
  let densityT: tf.Scalar | undefined;
  return {
    ys,
    gates,
    saliency: ss,
    get density() {
      return (densityT ??= tf.mean(gate) as tf.Scalar);
    },
    branchDensity,
    delta: tf.reshape(delta, []) as tf.Scalar,
    baseChannels: cb,
    groups: G,
  };
}
