// The CDG kernel tests' comparison of two gated-conv runs (src/bench/gatedConvRun.ts makes
// them): gates equal; values, saliencies, Δ, densities and gradients within a tolerance.
import { expect } from 'vitest';
import { NO_DELTA } from '../../../src/engine/sparsity/cdgGate';
import { relErr, runGatedConv, seededValues, type GatedCase, type GatedRun } from '../../../src/bench/gatedConvRun';

export type Case = GatedCase;
export type Out = GatedRun;
export const evaluate = runGatedConv;
export const rand = (n: number, seed: number) => seededValues(n, seed);

/** max |a − b| over max(1, max |b|) below `tol` (relErr). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  expect(a.length, what).toBe(b.length);
  expect(relErr(a, b), what).toBeLessThan(tol);
}

export function expectSame(got: Out, want: Out, tol: number, label: string) {
  got.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i}`).toEqual(Array.from(want.gates[i])));
  got.ys.forEach((y, i) => expectClose(y, want.ys[i], tol, `${label} y ${i}`));
  got.sal.forEach((s, i) => expectClose(s, want.sal[i], tol, `${label} saliency ${i}`));
  expect(got.density).toBeCloseTo(want.density, 6);
  // Δ: the midpoint at the boundary; all / none open: beyond any saliency (±NO_DELTA here and
  // on the tf-op path, ±∞ on the host path), with the sign that says which.
  if (Number.isFinite(want.delta) && Math.abs(want.delta) < NO_DELTA) expect(Math.abs(got.delta - want.delta)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.delta)));
  else {
    expect(Math.sign(got.delta), `${label} delta sign`).toBe(Math.sign(want.delta));
    expect(Math.abs(got.delta)).toBeGreaterThanOrEqual(NO_DELTA);
  }
  expectClose(got.branchDensity, want.branchDensity, 1e-6, `${label} branch density`);
  got.dxs.forEach((d, i) => expectClose(d, want.dxs[i], tol, `${label} dX ${i}`));
  got.dws.forEach((d, i) => expectClose(d, want.dws[i], tol, `${label} dK ${i}`));
}

/**
 * The host gated convs' cases (cpuGatedConvSparse, wasmGatedConv tests): C_in 7 → c_b = 2 (β 1/4)
 * an uneven split; odd spatial sizes; stride 2 on odd sizes; both saliencies; all open and all closed.
 */
export const HOST_CASES: Case[] = [
  { b: 2, h: 5, w: 7, cin: 7, cout: 6, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.4, saliency: 'spatial' } },
  { b: 3, h: 7, w: 5, cin: 9, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.55, saliency: 'channel-group', groups: 4 } },
  { b: 2, h: 6, w: 6, cin: 5, cout: 6, f: 3, stride: 2, branches: 1, sharedW: true, opts: { beta: 0.5, density: 0.3, saliency: 'channel-group', groups: 3 } },
  { b: 1, h: 9, w: 3, cin: 8, cout: 4, f: 1, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.7, saliency: 'spatial', alpha: 2 } },
  { b: 2, h: 7, w: 7, cin: 12, cout: 10, f: 3, stride: 2, branches: 2, sharedW: true, opts: { beta: 0.25, density: 0.1, saliency: 'spatial' } },
  // 8-channel blocks in the cpu loops (convTaps.ts): output groups and channel ranges multiples of 8.
  { b: 2, h: 5, w: 6, cin: 32, cout: 16, f: 3, stride: 1, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0.45, saliency: 'spatial' } },
  { b: 2, h: 6, w: 5, cin: 16, cout: 16, f: 3, stride: 2, branches: 2, sharedW: true, opts: { beta: 0.5, density: 0.35, saliency: 'channel-group', groups: 2 } },
  // All open and all closed.
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 1, branches: 2, sharedW: true, opts: { beta: 0.25, density: 1, saliency: 'channel-group', groups: 2 } },
  { b: 2, h: 5, w: 5, cin: 6, cout: 8, f: 3, stride: 2, branches: 2, sharedW: false, opts: { beta: 0.25, density: 0, saliency: 'spatial' } },
];
