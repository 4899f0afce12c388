// In the browser (Node has no WebGL): CDG's gated conv on webgl (kernels/webglGatedConv.ts,
// the radix select of webglSelect.ts) against two independent formulations — the tf-op
// path on the same backend (impl: 'ops': tfjs' TopK + ScatterND and autodiff) and the cpu
// host path (gatedConvHost: typed-array loops, topKGate) — forward values, gates (bit for
// bit), saliencies, Δ, densities, and the gradients for X and K (straight-through and
// 'detached'), on odd sizes, strides 1 and 2, uneven channel splits, both saliencies, 1 and
// 2 branches, all-open / all-closed / partial gates; no tensors left behind. Returns what
// differs (empty: all agree). Run by e2e/webglCdg.spec.ts and the bench page.
import * as tf from '@tensorflow/tfjs';
import { gatedConv, NO_DELTA, type GatedConvOptions } from '../engine/sparsity/cdg';

interface Case {
  b: number; h: number; w: number; cin: number; cout: number; f: number; stride: number;
  branches: 1 | 2; sharedW: boolean; opts: GatedConvOptions;
}

export const WEBGL_CDG_CASES: Case[] = [
  // C_in 7 → c_b = 2 (β 1/4): uneven split; odd spatial sizes; stride 2 on odd sizes.
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.4, saliency: 'spatial' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4 } },
  { b: 2, h: 6, w: 6, cin: 5, cout: 6, f: 3, stride: 2, branches: 1, sharedW: true, opts: { beta: 0.5, density: 0.3, saliency: 'channel-group', groups: 4 } },
  { b: 1, h: 9, w: 3, cin: 8, cout: 4, f: 1, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.7, saliency: 'spatial', alpha: 2 } },
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.4, saliency: 'spatial', gateGradient: 'detached' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4, gateGradient: 'detached' } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 1, saliency: 'channel-group', groups: 2 } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0, saliency: 'spatial' } },
];

/** Deterministic pseudo-random values in [−1, 1) (the same numbers on every backend). */
function rand(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

interface Out {
  ys: Float32Array[]; gates: Float32Array[]; sal: Float32Array[]; density: number; delta: number; branchDensity: Float32Array;
  dxs: Float32Array[]; dws: Float32Array[];
}

/** Forward and the gradients of Σ_i Σ R_i ⊙ Y_i (R_i fixed random weights) for X_i and each distinct K. */
async function evaluate(c: Case, opts: GatedConvOptions): Promise<Out> {
  const xs = Array.from({ length: c.branches }, (_, i) => tf.tensor4d(rand(c.b * c.h * c.w * c.cin, 11 + i), [c.b, c.h, c.w, c.cin]));
  const wShape: [number, number, number, number] = [c.f, c.f, c.cin, c.cout];
  const wsDistinct = Array.from({ length: c.sharedW ? 1 : c.branches }, (_, i) => tf.tensor4d(rand(wShape.reduce((a, b) => a * b), 31 + i), wShape));
  const res = tf.tidy(() => {
    let kept: { ys: tf.Tensor[]; gates: tf.Tensor[]; sal: tf.Tensor[]; density: tf.Tensor; delta: tf.Tensor; bd: tf.Tensor } | undefined;
    const lossOf = (...args: tf.Tensor[]) => {
      const xin = args.slice(0, xs.length) as tf.Tensor4D[];
      const win = args.slice(xs.length) as tf.Tensor4D[];
      const r = gatedConv(xin, xin.map((_, i) => win[c.sharedW ? 0 : i]), { ...c.opts, ...opts, stride: c.stride });
      kept = { ys: r.ys.map((t) => tf.keep(t)), gates: r.gates.map((t) => tf.keep(t)), sal: r.saliency.map((t) => tf.keep(t)), density: tf.keep(r.density), delta: tf.keep(r.delta), bd: tf.keep(r.branchDensity) };
      return tf.addN(r.ys.map((y, i) => tf.sum(tf.mul(y, tf.tensor(rand(y.size, 71 + i), y.shape))))) as tf.Scalar;
    };
    const grads = tf.grads(lossOf)([...xs, ...wsDistinct]);
    return { ...kept!, grads };
  });
  const data = async (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  const out: Out = {
    ys: await data(res.ys), gates: await data(res.gates), sal: await data(res.sal), density: (await res.density.data())[0], delta: (await res.delta.data())[0],
    branchDensity: (await res.bd.data()) as Float32Array, dxs: await data(res.grads.slice(0, xs.length)), dws: await data(res.grads.slice(xs.length)),
  };
  tf.dispose([xs, wsDistinct, res.ys, res.gates, res.sal, res.density, res.delta, res.bd, res.grads]);
  return out;
}

/** max |a − b| over max(1, max |b|): float32 rounding of sums of a few hundred terms. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return Number.isNaN(worst) ? Infinity : worst / scale;
}

/**
 * edge: every unit is open or none is; boundless: compare Δ then too. Not against the tf-op path
 * on webgl: its boundaryDelta gives ∓5e19 there, not ∓NO_DELTA (a bug of that path on
 * WebGL that the plugin would take for a real Δ; the programs' path gives ∓NO_DELTA).
 */
function compare(got: Out, want: Out, tol: number, label: string, bad: string[], edge: boolean, boundless = true): void {
  got.gates.forEach((g, i) => {
    const at = g.findIndex((v, j) => v !== want.gates[i][j]);
    if (at >= 0 || g.length !== want.gates[i].length) bad.push(`${label}: gate ${i} differs at ${at}`);
  });
  const arrays: [string, Float32Array[], Float32Array[]][] = [['y', got.ys, want.ys], ['saliency', got.sal, want.sal], ['dX', got.dxs, want.dxs], ['dK', got.dws, want.dws]];
  for (const [what, a, b] of arrays) a.forEach((t, i) => {
    const e = relErr(t, b[i]);
    if (!(e < tol)) bad.push(`${label}: ${what} ${i} off by ${e.toExponential(2)}`);
  });
  if (Math.abs(got.density - want.density) > 1e-6) bad.push(`${label}: density ${got.density} vs ${want.density}`);
  if (!(relErr(got.branchDensity, want.branchDensity) < 1e-6)) bad.push(`${label}: branch density differs`);
  // Δ: the midpoint at the boundary; all / none open: beyond any saliency, with the sign that says which.
  if (edge && !boundless) return;
  const finite = Number.isFinite(want.delta) && Math.abs(want.delta) < NO_DELTA;
  const dOk = finite
    ? Math.abs(got.delta - want.delta) < 1e-5 * Math.max(1, Math.abs(want.delta))
    : !boundless || (Math.sign(got.delta) === Math.sign(want.delta) && Math.abs(got.delta) >= NO_DELTA);
  if (!dOk) bad.push(`${label}: Δ ${got.delta} vs ${want.delta}`);
}

export interface WebGLCdgCheck {
  cases: number;
  mismatches: string[];
  /** Tensors alive after three more evaluations minus before (0: nothing leaks). */
  leaked: number;
  /** Whether gatedConv on webgl ran the radix-select programs (the hook in cdg.ts is taken). */
  hookTaken: boolean;
}

/** Runs f with the webgl backend's compileAndRun watched: whether a program read a select state. */
async function ranSelect(f: () => Promise<unknown>): Promise<boolean> {
  const backend = tf.backend() as unknown as { compileAndRun: (p: { variableNames: string[] }, ...r: unknown[]) => unknown };
  const orig = backend.compileAndRun;
  let seen = false;
  backend.compileAndRun = function (this: unknown, p, ...r) {
    if (p.variableNames.includes('state')) seen = true;
    return orig.call(this, p, ...r);
  };
  try {
    await f();
  } finally {
    backend.compileAndRun = orig;
  }
  return seen;
}

/** Needs the webgl and cpu backends registered; leaves the backend as it found it. */
export async function checkWebGLGatedConv(): Promise<WebGLCdgCheck> {
  const start = tf.getBackend();
  const bad: string[] = [];
  for (const [ci, c] of WEBGL_CDG_CASES.entries()) {
    await tf.setBackend('webgl');
    const fused = await evaluate(c, {});
    const ops = await evaluate(c, { impl: 'ops' });
    await tf.setBackend('cpu');
    const host = await evaluate(c, {});
    const edge = c.opts.density === 0 || c.opts.density === 1;
    compare(fused, ops, 2e-5, `case ${ci} vs ops`, bad, edge, false);
    compare(fused, host, 2e-5, `case ${ci} vs host`, bad, edge);
    const n = fused.gates.reduce((a, g) => a + g.length, 0);
    const open = fused.gates.reduce((a, g) => a + g.reduce((x, y) => x + y, 0), 0);
    if (open !== Math.round((c.opts.density ?? 1) * n)) bad.push(`case ${ci}: ${open} open of ${n}`);
  }
  await tf.setBackend('webgl');
  const hookTaken = (await ranSelect(() => evaluate(WEBGL_CDG_CASES[1], {}))) && !(await ranSelect(() => evaluate(WEBGL_CDG_CASES[1], { impl: 'ops' })));
  if (!hookTaken) bad.push('gatedConv on webgl did not run the radix select (or impl: ops did)');
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await evaluate(WEBGL_CDG_CASES[1], {});
  const leaked = tf.memory().numTensors - before;
  await tf.setBackend(start);
  return { cases: WEBGL_CDG_CASES.length, mismatches: bad, leaked, hookTaken };
}
