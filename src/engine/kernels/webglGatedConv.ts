// CDG's quantile-gated conv on WebGL: tfjs' convs of the two input segments, the gating as
// GPGPU programs (shaders in webglGatedConv.glsl.ts, the gate programs of the WebGPU path,
// webgpuGatedConv.ts, for WebGL2's fragment shaders). The tf-op formulation (abs / group
// mean / per-sample mean / division, tfjs' TopK + ScatterND, Y_b + g ⊙ Y_c, and all their
// gradients) ran ~145 programs a layer more than a dense conv at the tiny size. Per layer
// and step here, beyond the split and the two convs: the per-sample mean and the saliency
// for all branches (two programs), the radix select (webglSelect.ts: gate and Δ), one
// Y = Y_b + g ⊙ Y_c a branch; backward per branch ds, its per-sample sums, dY_b and dY_c
// (the formulas of gatedConvHost in kernels/cpuGatedConvHost.ts, the cpu reference). No readback.
// The convs stay tfjs' packed im2col + matmul: a direct dual-conv program (as on WebGPU)
// measured 1.2–1.8× slower than split + two tf.conv2d, forward and backward, at the tiny
// layers on SwiftShader's WebGL (docs/bench.md).
import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { branchMeans, lazyGatedResult, NO_DELTA, splitBranches, type GatedConvResult, type QuantileGateOptions } from './gatedConvResult';
import { webglTopKGate } from './webglSelect';
import {
  applyGLSL, gateBackwardBaseGLSL, gateBackwardCondGLSL, gateDsGLSL, gateStatsGLSL, saliencyGLSL, sampleMeanGLSL, type GateShape,
} from './webglGatedConv.glsl';

const EPS = 1e-8;
/** Branch inputs one saliency program reads at most (beyond, the branches' Y_b are concatenated first). */
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

/**
 * t unpacked and 1-D, for programs that read it several times: tfjs unpacks a packed input
 * for every unpacked program that reads it (tfjs' convs and elementwise ops write packed).
 */
function unpackedFlat(t: tf.Tensor): tf.Tensor {
  const backend = tf.backend() as MathBackendWebGL;
  if (!backend.texData.get(t.dataId).isPacked) return flat(t);
  const u = tf.engine().makeTensorFromTensorInfo(backend.unpackTensor(t));
  const f = flat(u);
  if (f !== u) u.dispose();
  return f;
}

/** t packed (one program): tfjs' packed ops pack an unpacked input for every op that reads it. */
function packed(t: tf.Tensor): tf.Tensor {
  const backend = tf.backend() as MathBackendWebGL;
  if (backend.texData.get(t.dataId).isPacked) return t;
  const p = tf.engine().makeTensorFromTensorInfo(backend.packTensor(t));
  t.dispose();
  return p;
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

/** The pooled saliency [ΣB, OH, OW, G] of the branches' Y_b (in branch order): s = r / (mean r + ε) per sample. Two programs. */
export function webglSaliency(ybs: tf.Tensor4D[], G: number, ybFlats?: tf.Tensor[]): tf.Tensor4D {
  const [, OH, OW, K] = ybs[0].shape;
  const ins = ybs.length <= MAX_BRANCH_INPUTS ? ybs : [tf.concat(ybs, 0) as tf.Tensor4D];
  const gs: GateShape = { HW: OH * OW, K, G, per: K / G, batches: ins.map((y) => y.shape[0]) };
  const total = gs.batches.reduce((a, b) => a + b, 0);
  const names = ins.map((_, i) => `yb${i}`);
  const flats = ins === ybs && ybFlats ? ybFlats : ins.map(unpackedFlat);
  const d = run(program(names, total, sampleMeanGLSL(gs, EPS)), flats, [total]);
  const s = run(program([...names, 'd'], total * OH * OW * G, saliencyGLSL(gs)), [...flats, d], [total, OH, OW, G]) as tf.Tensor4D;
  d.dispose();
  if (ins !== ybs) ins[0].dispose();
  return s;
}

/**
 * One branch's Y = Y_b + g ⊙ Y_c, g the pooled gate (this branch's units from `o`), with the
 * straight-through gradient through the saliency written out (dY_c = dY ⊙ g; dY_b = dY + the
 * saliency term: three programs, none when Δ = ±∞).
 */
function gateApply(yb: tf.Tensor4D, yc: tf.Tensor4D, ybf: tf.Tensor, gate: tf.Tensor, s: tf.Tensor, delta: tf.Tensor, o: number, smooth: boolean, detached: boolean, alpha: number): tf.Tensor4D {
  const [b, OH, OW, K] = yb.shape;
  const G = gate.shape[3] as number;
  const gs: GateShape = { HW: OH * OW, K, G, per: K / G, batches: [b] };
  const m = b * OH * OW * G;
  const gf = flat(gate);
  const sf = flat(s);
  // ybf: yb unpacked and flat (the saliency read it too); the inputs here are yb and yc themselves.
  const f = ((_ybT: tf.Tensor, ycT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const ycf = unpackedFlat(ycT);
    save([ybf, ycf]);
    return {
      value: packed(run(program(['yb', 'yc', 'g'], ybf.size, applyGLSL(gs, o)), [ybf, ycf, gf], yb.shape)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [ybs, ycs, dyf] = [saved[0], saved[1], unpackedFlat(dy)];
        const dyc = packed(run(program(['dy', 'g'], dyf.size, gateBackwardCondGLSL(gs, o)), [dyf, gf], yc.shape));
        if (!smooth) return [tf.clone(dy), dyc];
        const ds = run(program(['dy', 'yc', 's', 'g', 'delta'], m, gateDsGLSL(gs, o, detached), [{ name: 'alpha', type: 'float' }]), [dyf, ycs, sf, gf, delta], [m], [[alpha]]);
        const stats = run(program(['yb', 'ds'], 2 * b, gateStatsGLSL(gs, EPS)), [ybs, ds], [2 * b]);
        return [packed(run(program(['dy', 'yb', 'ds', 'stats'], dyf.size, gateBackwardBaseGLSL(gs)), [dyf, ybs, ds, stats], yb.shape)), dyc];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(yb, yc) as tf.Tensor4D;
}

/**
 * The quantile-gated conv of every branch on webgl (gatedConv's semantics with a quantile
 * Δ, see sparsity/cdgGate.ts) for cb < C_in. Gates, saliencies and the pooled density are made
 * when first read (a training step reads only branchDensity and Δ), from tensors of the
 * caller's scope: read them before that scope ends.
 */
export function gatedConvWebGL(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number): GatedConvResult {
  const alpha = opts.alpha ?? 5;
  const cin = ws[0].shape[2];
  // The channel split: one tf.split a tensor, a kernel shared by several branches (SimCLR) split once.
  const kernels = new Map<tf.Tensor, tf.Tensor4D[]>();
  const ybs: tf.Tensor4D[] = [];
  const ycs: tf.Tensor4D[] = [];
  xs.forEach((x, i) => {
    let wParts = kernels.get(ws[i]);
    if (!wParts) kernels.set(ws[i], (wParts = tf.split(ws[i], [cb, cin - cb], 2) as tf.Tensor4D[]));
    const [xb, xc] = tf.split(x, [cb, cin - cb], 3) as tf.Tensor4D[];
    ybs.push(tf.conv2d(xb, wParts[0], stride, 'same'));
    ycs.push(tf.conv2d(xc, wParts[1], stride, 'same'));
  });
  const ybFlats = ybs.map(unpackedFlat);
  const s = webglSaliency(ybs, G, ybFlats);
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
  const ys = ybs.map((yb, i) => {
    const y = gateApply(yb, ycs[i], ybFlats[i], gate, s, delta, o, smooth, opts.gateGradient === 'detached', alpha);
    o += sizes[i] * cells;
    return y;
  });
  const deltaScalar = tf.reshape(delta, []) as tf.Scalar; // made with the result, as before the lazy parts
  return lazyGatedResult(
    { ys, branchDensity: branchMeans(gate, sizes), baseChannels: cb, groups: G },
    {
      gates: () => splitBranches(gate, sizes),
      saliency: () => splitBranches(s, sizes),
      density: () => tf.mean(gate) as tf.Scalar,
      delta: () => deltaScalar,
    },
  );
}
