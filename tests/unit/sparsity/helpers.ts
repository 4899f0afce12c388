// Test helpers for the sparsity library: plain-JS reference implementations
// (brute force, written independently of src/engine/sparsity) and a tensor-leak check.
// Kernels use the tfjs layout [kh, kw, C_in, C_out], flat index ((a·kw + b)·C_in + c)·C_out + o.

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { expect } from 'vitest';

/** Run fn and check that it leaves no tensor behind (after disposing what it returns via `keep`). */
export function noLeak<T>(fn: () => T, dispose: (r: T) => void = (r) => tf.dispose(r as unknown as tf.TensorContainer)): T {
  const before = tf.memory().numTensors;
  const r = fn();
  dispose(r);
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

/** Indices of the k largest values; ties by lower index (reference: a full comparison sort). */
export function refTopK(values: readonly number[], k: number): Set<number> {
  const idx = values.map((_, i) => i);
  idx.sort((a, b) => (values[b] !== values[a] ? values[b] - values[a] : a - b));
  return new Set(idx.slice(0, k));
}

export function ones(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) s++;
  return s;
}

export function subset(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && b[i] === 0) return false;
  return true;
}

export function flatIndex(shape: readonly number[], a: number, b: number, c: number, o: number): number {
  const [, kw, cIn, cOut] = shape;
  return ((a * kw + b) * cIn + c) * cOut + o;
}

/** All n-element subsets of {0..m-1}. */
export function combinations(m: number, n: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, cur: number[]): void => {
    if (cur.length === n) {
      out.push(cur.slice());
      return;
    }
    for (let j = start; j < m; j++) {
      cur.push(j);
      rec(j + 1, cur);
      cur.pop();
    }
  };
  rec(0, []);
  return out;
}

/** Full groups of a kernel in row-major order of their first element: (a, b, g, o). */
export function fullGroups(shape: readonly number[], m: number): number[][] {
  const [kh, kw, cIn, cOut] = shape;
  const groups: number[][] = [];
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let g = 0; g < Math.floor(cIn / m); g++)
        for (let o = 0; o < cOut; o++) {
          const idx: number[] = [];
          for (let j = 0; j < m; j++) idx.push(flatIndex(shape, a, b, g * m + j, o));
          groups.push(idx);
        }
  return groups;
}

/** Densities / fractions in [0, 1]: a grid of interior values plus arbitrary doubles (fast-check favours 0 and 1). */
export const unitArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((k) => k / 40),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

/** Weights (or channels) a layer's mask keeps at density d of n: round(d·n), but never 0 above density 0 (a layer keeping nothing computes zeros). */
export function refKept(d: number, n: number): number {
  const k = Math.round(d * n);
  return d > 0 && n > 0 && k === 0 ? 1 : k;
}
