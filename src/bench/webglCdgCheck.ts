// In the browser (Node has no WebGL): CDG's gated conv on webgl (kernels/webglGatedConv.ts,
// the radix select of webglSelect.ts) against two independent formulations — the tf-op
// path on the same backend (impl: 'ops': tfjs' TopK + ScatterND and autodiff) and the cpu
// host path (gatedConvHost: typed-array loops, topKGate) — forward values, gates (bit for
// bit), saliencies, Δ, densities, and the gradients for X and K (straight-through and
// 'detached'), on odd sizes, strides 1 and 2, uneven channel splits, both saliencies, 1 and
// 2 branches, all-open / all-closed / partial gates; no tensors left behind. Returns what
// differs (empty: all agree). Run by e2e/webglCdg.spec.ts and the bench page.
import * as tf from '@tensorflow/tfjs';
import { NO_DELTA } from '../engine/sparsity/cdgGate';
import { relErr, runGatedConv as evaluate, type GatedCase as Case, type GatedRun as Out } from './gatedConvRun';

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

/**
 * edge: every unit is open or none is; boundless: compare Δ then too (also against the tf-op
 * path on webgl, whose boundaryDelta gave ∓5e19 there before it decided all / none open from
 * the gate: WebGL's min and max start from ±1e20).
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
  /** Whether gatedConv on webgl ran the radix-select programs (the dispatch in cdgGate.ts is taken). */
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
    compare(fused, ops, 2e-5, `case ${ci} vs ops`, bad, edge);
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
