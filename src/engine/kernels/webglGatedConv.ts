// CDG's quantile-gated conv on WebGL as GPGPU programs (shaders in webglGatedConv.glsl.ts),
// the design of the WebGPU programs (webgpuGatedConv.ts) for WebGL2's fragment shaders: the
// tf-op formulation (split of X and K, two convs, abs / group mean / per-sample mean /
// division, tfjs' TopK + ScatterND, Y_b + g ⊙ Y_c, and all their gradients) ran ~145
// programs a layer more than a dense conv at the tiny size. Per layer and step here:
// forward one dual conv a branch (Z = [Y_b | Y_c]), the per-sample mean and the saliency
// for all branches (two programs), the radix select (webglSelect.ts: gate and Δ), one
// Y = Y_b + g ⊙ Y_c a branch; backward per branch ds, its per-sample sums and dZ (the
// formulas of gatedConvHost in sparsity/cdg.ts, the cpu reference), and the dual conv's
// dX and dK. No readback.
import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import type { GatedConvResult } from '../sparsity/cdg';
import { webglTopKGate } from './webglSelect';
import {
  applyGLSL, dualConvDwGLSL, dualConvDxGLSL, dualConvGLSL, gateBackwardGLSL, gateDsGLSL, gateStatsGLSL, saliencyGLSL, sampleMeanGLSL,
  type ConvShape, type GateShape,
} from './webglGatedConv.glsl';

const EPS = 1e-8;
/** sparsity/cdg.ts' NO_DELTA (Δ when all / none are open), repeated: importing it would make an import cycle. */
const NO_DELTA = 3e38;
/** Branch inputs one saliency program reads at most (beyond, the branches' Z are concatenated first). */
const MAX_BRANCH_INPUTS = 6;

type Program = Parameters<MathBackendWebGL['compileAndRun']>[0];
type GradFn = Parameters<typeof tf.customGrad>[0];

/** A program over flat (1-D) tensors with a flat output of `size` elements. */
function program(variableNames: string[], size: number, userCode: string, uniforms?: Program['customUniforms']): Program {
  return { variableNames, outputShape: [size], userCode, customUniforms: uniforms };
}

/** t as 1-D (a reshape; of a packed texture a program, so each tensor is flattened once). */
function flat(t: tf.Tensor): tf.Tensor {
  return t.rank === 1 ? t : tf.reshape(t, [t.size]);
}

/** Runs p on flat inputs and returns its output in `shape` (an unpacked texture: reshaping it is free). */
function run(p: Program, inputs: tf.Tensor[], shape: number[], uniforms?: number[][]): tf.Tensor {
  const backend = tf.backend() as MathBackendWebGL;
  const out = tf.engine().makeTensorFromTensorInfo(backend.compileAndRun(p, inputs, 'float32', uniforms));
  if (shape.length === 1) return out;
  const shaped = tf.reshape(out, shape);
  out.dispose();
  return shaped;
}

function convShape(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, cb: number): ConvShape {
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same', undefined, false, 'channelsLast');
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, stride, cb,
  };
}

/** Z = [conv(X_b, K_b) | conv(X_c, K_c)] [B, OH, OW, 2K] ('same' padding), one program; dX and dK one each. */
export function webglDualConv(x: tf.Tensor4D, w: tf.Tensor4D, cb: number, stride: number): tf.Tensor4D {
  const d = convShape(x, w, stride, cb);
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const [xf, wf] = [flat(xT), flat(wT)];
    save([xf, wf]);
    return {
      value: run(program(['x', 'w'], d.B * d.OH * d.OW * 2 * d.K, dualConvGLSL(d)), [xf, wf], [d.B, d.OH, d.OW, 2 * d.K]),
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => {
        const dzf = flat(dz);
        return [
          run(program(['dz', 'w'], saved[0].size, dualConvDxGLSL(d)), [dzf, saved[1]], x.shape),
          run(program(['x', 'dz'], saved[1].size, dualConvDwGLSL(d)), [saved[0], dzf], w.shape),
        ];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}

/** The pooled saliency [ΣB, OH, OW, G] of the branches' Z (in branch order): s = r / (mean r + ε) per sample. Two programs. */
export function webglSaliency(zs: tf.Tensor4D[], G: number): tf.Tensor4D {
  const [, OH, OW, K2] = zs[0].shape;
  const K = K2 / 2;
  const ins = zs.length <= MAX_BRANCH_INPUTS ? zs : [tf.concat(zs, 0) as tf.Tensor4D];
  const gs: GateShape = { HW: OH * OW, K, G, per: K / G, batches: ins.map((z) => z.shape[0]) };
  const total = gs.batches.reduce((a, b) => a + b, 0);
  const names = ins.map((_, i) => `z${i}`);
  const flats = ins.map(flat);
  const d = run(program(names, total, sampleMeanGLSL(gs, EPS)), flats, [total]);
  const s = run(program([...names, 'd'], total * OH * OW * G, saliencyGLSL(gs)), [...flats, d], [total, OH, OW, G]) as tf.Tensor4D;
  d.dispose();
  if (ins !== zs) ins[0].dispose();
  return s;
}

/**
 * One branch's Y = Y_b + g ⊙ Y_c from its Z, g the pooled gate (this branch's units from
 * `o`), with the straight-through gradient through the saliency written out (three programs
 * backward; one when Δ = ±∞).
 */
function gateApply(z: tf.Tensor4D, gate: tf.Tensor, s: tf.Tensor, delta: tf.Tensor, o: number, smooth: boolean, detached: boolean, alpha: number): tf.Tensor4D {
  const [b, OH, OW, K2] = z.shape;
  const K = K2 / 2;
  const G = gate.shape[3] as number;
  const gs: GateShape = { HW: OH * OW, K, G, per: K / G, batches: [b] };
  const m = b * OH * OW * G;
  const gf = flat(gate);
  const sf = flat(s);
  const f = ((zT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const zf = flat(zT);
    save([zf]);
    return {
      value: run(program(['z', 'g'], b * OH * OW * K, applyGLSL(gs, o)), [zf, gf], [b, OH, OW, K]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [zs, dyf] = [saved[0], flat(dy)];
        if (!smooth) return run(program(['dy', 'z', 'g'], zs.size, gateBackwardGLSL(gs, o, false)), [dyf, zs, gf], z.shape);
        const ds = run(program(['dy', 'z', 's', 'g', 'delta'], m, gateDsGLSL(gs, o, detached), [{ name: 'alpha', type: 'float' }]), [dyf, zs, sf, gf, delta], [m], [[alpha]]);
        const stats = run(program(['z', 'ds'], 2 * b, gateStatsGLSL(gs, EPS)), [zs, ds], [2 * b]);
        return run(program(['dy', 'z', 'g', 'ds', 'stats'], zs.size, gateBackwardGLSL(gs, o, true)), [dyf, zs, gf, ds, stats], z.shape);
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(z) as tf.Tensor4D;
}

/**
 * The quantile-gated conv of every branch on webgl (gatedConv's semantics with a quantile
 * Δ, see sparsity/cdg.ts) for cb < C_in. Gates, saliencies and the pooled density are made
 * when first read (a training step reads only branchDensity and Δ), from tensors of the
 * caller's scope: read them before that scope ends.
 */
export function gatedConvWebGL(
  xs: tf.Tensor4D[],
  ws: tf.Tensor4D[],
  opts: { density?: number; alpha?: number; gateGradient?: 'ste' | 'detached' },
  cb: number,
  G: number,
  stride: number,
): GatedConvResult {
  const alpha = opts.alpha ?? 5;
  const zs = xs.map((x, i) => webglDualConv(x, ws[i], cb, stride));
  const s = webglSaliency(zs, G);
  const n = s.size;
  const k = Math.min(n, Math.max(0, Math.round((opts.density ?? 1) * n)));
  let gate: tf.Tensor;
  let delta: tf.Tensor;
  if (k === 0 || k === n) {
    // Δ = ∓∞ (∓NO_DELTA, as the tf-op path): no boundary, the surrogate derivative is 0.
    gate = k === 0 ? tf.zeros(s.shape) : tf.ones(s.shape);
    delta = tf.tensor1d([k === 0 ? NO_DELTA : -NO_DELTA]);
  } else ({ gate, delta } = webglTopKGate(s, k));
  const smooth = k > 0 && k < n;
  const sizes = xs.map((x) => x.shape[0]);
  const cells = n / sizes.reduce((a, b) => a + b, 0);
  let o = 0;
  const ys = zs.map((z, i) => {
    const y = gateApply(z, gate, s, delta, o, smooth, opts.gateGradient === 'detached', alpha);
    o += sizes[i] * cells;
    return y;
  });
  const perBranch = (t: tf.Tensor) => (sizes.length === 1 ? [t as tf.Tensor4D] : (tf.split(t, sizes, 0) as tf.Tensor4D[]));
  const branchDensity = (
    sizes.every((m) => m === sizes[0]) ? tf.mean(tf.reshape(gate, [sizes.length, -1]), 1) : tf.stack(perBranch(gate).map((g) => tf.mean(g)))
  ) as tf.Tensor1D;
  let gatesT: tf.Tensor4D[] | undefined;
  let salT: tf.Tensor4D[] | undefined;
  let densityT: tf.Scalar | undefined;
  return {
    ys,
    get gates() {
      return (gatesT ??= perBranch(gate));
    },
    get saliency() {
      return (salT ??= perBranch(s));
    },
    get density() {
      return (densityT ??= tf.mean(gate) as tf.Scalar);
    },
    delta: tf.reshape(delta, []) as tf.Scalar,
    branchDensity,
    baseChannels: cb,
    groups: G,
  };
}
