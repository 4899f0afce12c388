// CDG's gated conv on WebGPU as custom programs (shaders in webgpuGatedConv.wgsl.ts): the
// tf-op formulation (split of X and K, two convs, abs / group mean / per-sample mean /
// division, Y_b + g ⊙ Y_c, and all their gradients) cost ~75 dispatches a layer more than
// a dense conv. Here, per layer and step: forward one dual conv a branch (Z = [Y_b | Y_c]),
// one saliency program for all branches, the selection (webgpuSelect.ts), one
// Y = Y_b + g ⊙ Y_c a branch; backward one gate/saliency program a branch (the formulas of
// gatedConvHost in kernels/cpuGatedConvHost.ts, the cpu reference) and the dual conv's dX and dK.
// With skipClosed (setting kernels.sparse) and gateGradient 'detached', the dual conv is two
// stages around the selection: the base half first, then the conditional half only where the
// gate is open; dX / dK skip closed locations of the conditional half
// (webgpuGatedConvSkip.wgsl.ts). 'ste' needs Y_c everywhere: the one dual conv forward, the
// skipping dX / dK backward — except in a forward-only branch (BYOL's target, whose gate no
// gradient reaches), which takes the two stages as 'detached' does.
// No runtime import of the webgpu backend: the engine loads it lazily (backend.ts).
import * as tf from '@tensorflow/tfjs';
import { branchMeans, lazyGatedResult, NO_DELTA, pooledGateUnits, splitBranches, type GatedConvResult, type QuantileGateOptions } from './gatedConvResult';
import { flatProgram as flat, runProgram as run, type Program } from './webgpuProgram';
import { webgpuGateBoundary, webgpuTopKGate } from './webgpuSelect';
import {
  applyWGSL, convKey, dualConvDwWGSL, dualConvDxWGSL, dualConvWGSL, gateBackwardWGSL, saliencyWGSL, SAMPLE_WG_GPU, SAMPLE_WG_SOFTWARE,
  type ConvShape, type GateShape,
} from './webgpuGatedConv.wgsl';
import { baseConvWGSL, condConvDwWGSL, condConvDxWGSL, condConvWGSL, type GateLayout } from './webgpuGatedConvSkip.wgsl';

const EPS = 1e-8;
/** Inputs of one saliency program beyond which the branches' Z are concatenated first (storage bindings a stage: 8). */
const MAX_BRANCH_INPUTS = 6;

let sampleWG = SAMPLE_WG_GPU;

/**
 * Reads (samples × pooled units) above which the gate backward is given Δ, found once by
 * webgpuGateBoundary, instead of every sample's workgroup scanning all pooled units for it
 * (an extra dispatch, so not below: at the presets' sizes the scan is a few hundred thousand reads).
 */
let gateScanLimit = 1 << 24;

/** For tests: the limit above which Δ is found once a branch (0: always). */
export function setGateScanLimit(reads: number): void {
  gateScanLimit = reads;
}

/** The per-sample programs' workgroup size for the adapter: backend.ts sets it when WebGPU starts; tests set both. */
export function setSoftwareAdapterWorkgroups(software: boolean): void {
  sampleWG = software ? SAMPLE_WG_SOFTWARE : SAMPLE_WG_GPU;
}

/** One workgroup of sampleWG invocations a sample (workgroupId.x); the size is part of the key (tfjs caches pipelines by key). */
function perSample(key: string, inputs: string[], outputShape: number[], samples: number, code: string, uniforms?: string): Program & { size: true } {
  return {
    outputShape,
    shaderKey: `${key}_wg${sampleWG}`,
    dispatchLayout: { x: [0] },
    dispatch: [samples, 1, 1],
    workgroupSize: [sampleWG, 1, 1],
    variableNames: inputs,
    uniforms,
    size: true,
    getUserCode: () => code,
  };
}

type GradFn = Parameters<typeof tf.customGrad>[0];

function convShape(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, cb: number): ConvShape {
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same', undefined, false, 'channelsLast');
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, stride, cb,
  };
}

/** Z = [conv(X_b, K_b) | conv(X_c, K_c)] [B, OH, OW, 2K] ('same' padding), one program; dX and dK one each. */
export function webgpuDualConv(x: tf.Tensor4D, w: tf.Tensor4D, cb: number, stride: number): tf.Tensor4D {
  const d = convShape(x, w, stride, cb);
  const key = convKey(d);
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([xT, wT]);
    return {
      value: fullDualConv(xT as tf.Tensor4D, wT as tf.Tensor4D, cb, stride),
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => [
        run(flat(`cdgDualConvDx_${key}`, ['dz', 'w'], saved[0].shape, dualConvDxWGSL(d)), [dz, saved[1]]),
        run(flat(`cdgDualConvDw_${key}`, ['x', 'dz'], saved[1].shape, dualConvDwWGSL(d)), [saved[0], dz]),
      ],
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}

/**
 * The base half of the dual conv, [Y_b | 0] [B, OH, OW, 2K]: not on the tape (its gradient
 * is condDualConv's, which computes both halves).
 */
function baseHalfConv(x: tf.Tensor4D, w: tf.Tensor4D, cb: number, stride: number): tf.Tensor4D {
  const d = convShape(x, w, stride, cb);
  return run(flat(`cdgBaseConv_${convKey(d)}`, ['x', 'w'], [d.B, d.OH, d.OW, 2 * d.K], baseConvWGSL(d)), [x, w]) as tf.Tensor4D;
}

/** The dual conv's Z [B, OH, OW, 2K] over every location, off the tape (its gradient is condDualConv's). */
function fullDualConv(x: tf.Tensor4D, w: tf.Tensor4D, cb: number, stride: number): tf.Tensor4D {
  const d = convShape(x, w, stride, cb);
  return run(flat(`cdgDualConv_${convKey(d)}`, ['x', 'w'], [d.B, d.OH, d.OW, 2 * d.K], dualConvWGSL(d)), [x, w]) as tf.Tensor4D;
}

/**
 * Z on the tape, with the pooled gate known (this branch's units from l.o). 'detached':
 * Z = [Y_b | g ⊙ Y_c] from zb = baseHalfConv(x, w), the conditional half computed only at
 * open units; 'ste': z0 = fullDualConv(x, w) as it is (its gate gradient needs Y_c at
 * closed units). Either way dX and dK of both halves in one program each, closed units of
 * the conditional half skipped (dZ_c = dY ⊙ g is 0 there). g is a constant here: its
 * gradient reaches the saliency through gateApply.
 */
function condDualConv(x: tf.Tensor4D, w: tf.Tensor4D, z0: tf.Tensor4D, full: boolean, gate: tf.Tensor, l: GateLayout, cb: number, stride: number): tf.Tensor4D {
  const d = convShape(x, w, stride, cb);
  const key = `${convKey(d)}_${l.G}_${l.o}`;
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([xT, wT, gate]);
    return {
      value: full ? z0 : run(flat(`cdgCondConv_${key}`, ['x', 'w', 'zb', 'g'], z0.shape, condConvWGSL(d, l)), [xT, wT, z0, gate]),
      gradFunc: (dz: tf.Tensor, saved: tf.Tensor[]) => [
        run(flat(`cdgCondConvDx_${key}`, ['dz', 'w', 'g'], saved[0].shape, condConvDxWGSL(d, l)), [dz, saved[1], saved[2]]),
        run(flat(`cdgCondConvDw_${key}`, ['x', 'dz', 'g'], saved[1].shape, condConvDwWGSL(d, l)), [saved[0], dz, saved[2]]),
      ],
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}

/**
 * The pooled saliency [ΣB, OH, OW, G] of the branches' Z (in branch order): s = r / (mean r + ε)
 * per sample, r = mean over each group of |Y_b|. One program.
 */
export function webgpuSaliency(zs: tf.Tensor4D[], G: number): tf.Tensor4D {
  const [, OH, OW, K2] = zs[0].shape;
  const K = K2 / 2;
  const ins = zs.length <= MAX_BRANCH_INPUTS ? zs : [tf.concat(zs, 0) as tf.Tensor4D];
  const gs: GateShape = { HW: OH * OW, K, G, per: K / G, batches: ins.map((z) => z.shape[0]) };
  const total = gs.batches.reduce((a, b) => a + b, 0);
  const key = `cdgSaliency_${OH * OW}_${K}_${G}_${gs.batches.join(',')}`;
  const out = run(perSample(key, ins.map((_, i) => `z${i}`), [total, OH, OW, G], total, saliencyWGSL(gs, EPS, sampleWG)), ins) as tf.Tensor4D;
  if (ins !== zs) ins[0].dispose();
  return out;
}

/**
 * One branch's Y = Y_b + g ⊙ Y_c from its Z, g the pooled gate (this branch's units from
 * `o`), with the straight-through gradient through the saliency written out (one program
 * each way). s and g are saved for the backward pass; Δ is found there from them.
 */
function gateApply(z: tf.Tensor4D, gate: tf.Tensor, s: tf.Tensor, o: number, smooth: boolean, detached: boolean, alpha: number): tf.Tensor4D {
  const [b, OH, OW, K2] = z.shape;
  const K = K2 / 2;
  const G = gate.shape[3] as number;
  const gs: GateShape = { HW: OH * OW, K, G, per: K / G, batches: [b] };
  const key = `${OH * OW}_${K}_${G}_${b}_${o}`;
  const f = ((zT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    save([zT, gate, s]);
    return {
      value: run(flat(`cdgGateApply_${key}`, ['z', 'g'], [b, OH, OW, K], applyWGSL(gs, o, b)), [zT, gate]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const given = smooth && b * gate.size > gateScanLimit;
        const boundary = given ? [webgpuGateBoundary(saved[2], saved[1])] : [];
        const dz = run(
          perSample(
            `cdgGateBackward_${key}_${gate.size}_${smooth}_${detached}_${given}`, ['dy', 'z', 's', 'g', ...(given ? ['boundary'] : [])], zT.shape, b,
            gateBackwardWGSL(gs, o, gate.size, smooth, detached, EPS, sampleWG, given), 'alpha : f32,',
          ),
          [dy, saved[0], saved[2], saved[1], ...boundary],
          [{ type: 'float32', data: [alpha] }],
        );
        tf.dispose(boundary);
        return dz;
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(z) as tf.Tensor4D;
}

/**
 * The quantile-gated conv of every branch on webgpu (gatedConv's semantics with a quantile
 * Δ, see sparsity/cdgGate.ts) for cb < C_in. Gates, saliencies and the pooled density are made
 * when first read (a training step reads only branchDensity), from tensors of the caller's
 * scope: read them before that scope ends.
 */
export function gatedConvWebGPU(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number, skipClosed = false): GatedConvResult {
  const alpha = opts.alpha ?? 5;
  // 'detached' needs Y_c only where the gate is open: the base half now, the rest after the
  // selection; 'ste' needs Y_c everywhere, but its dX and dK only from open units.
  // A forward-only branch (BYOL's target: no gradient reaches it) needs Y_c only at open
  // units in either mode, as 'detached' does.
  // The pooled units and how many open, known from the shapes before any program runs.
  const n = pooledGateUnits(xs, stride, G);
  const k = Math.min(n, Math.max(0, Math.round((opts.density ?? 1) * n)));
  // Every gate closed (a final density of 0): no gradient reaches the gate, so 'ste' needs Y_c
  // nowhere either (as cpu skips it, and as the FLOPs count it).
  const detachedAt = (i: number) => opts.gateGradient === 'detached' || opts.forwardOnly?.[i] === true || k === 0;
  const first = (i: number) => (skipClosed ? (detachedAt(i) ? baseHalfConv : fullDualConv) : webgpuDualConv);
  let zs = xs.map((x, i) => first(i)(x, ws[i], cb, stride));
  const s = webgpuSaliency(zs, G);
  if (s.size !== n) throw new Error(`gatedConvWebGPU: ${s.size} pooled units, ${n} expected from the shapes`);
  const gate = k === 0 ? tf.zeros(s.shape) : k === n ? tf.ones(s.shape) : webgpuTopKGate(s, k);
  const smooth = k > 0 && k < n; // Δ = ±∞ otherwise: the surrogate derivative is 0
  const sizes = xs.map((x) => x.shape[0]);
  const cells = n / sizes.reduce((a, b) => a + b, 0);
  if (skipClosed) {
    const per = zs[0].shape[3] / 2 / G;
    let u = 0;
    zs = zs.map((z0, i) => {
      const z = condDualConv(xs[i], ws[i], z0, !detachedAt(i), gate, { G, per, o: u }, cb, stride);
      u += sizes[i] * cells;
      return z;
    });
  }
  let o = 0;
  const ys = zs.map((z, i) => {
    // Without skipClosed a forward-only branch keeps the run's mode (its gradient is 0 anyway).
    const y = gateApply(z, gate, s, o, smooth, skipClosed ? detachedAt(i) : opts.gateGradient === 'detached', alpha);
    o += sizes[i] * cells;
    return y;
  });
  return lazyGatedResult(
    { ys, branchDensity: branchMeans(gate, sizes), baseChannels: cb, groups: G },
    {
      gates: () => splitBranches(gate, sizes),
      saliency: () => splitBranches(s, sizes),
      density: () => tf.mean(gate) as tf.Scalar,
      // The quantile's midpoint (one program); ∓NO_DELTA when all / none are open, as the tf-op path.
      delta: () => (k === 0 ? tf.scalar(NO_DELTA) : k === n ? tf.scalar(-NO_DELTA) : webgpuGateBoundary(s, gate)),
    },
  );
}
