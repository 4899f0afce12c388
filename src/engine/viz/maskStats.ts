// What the SyncCP panel reports about one layer's masks after an update (pure): how many
// entries each branch changed (churn), how nested the sparser mask is in the denser one,
// their overlap, and for N:M the fraction of full groups that are exactly N:M.
import type { BranchPair } from '../sparsity/scheduleOf';

export interface MaskUpdateStats {
  /** Entries whose mask value changed at the update, per branch. */
  flips: BranchPair;
  /** Fraction of the online mask's ones that the target mask also keeps (1 = nested). */
  nested: number;
  /** |online ∩ target| / |online ∪ target|. */
  iou: number;
  /** N:M only: fraction of full groups with exactly N kept; null otherwise. */
  nmFraction: BranchPair | null;
}

export function ones(a: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function diffCount(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) s++;
  return s;
}

/** Fraction of full groups of m input channels with exactly n ones (tail ignored); kernel [kh, kw, C_in, C_out]. */
export function nmGroupFraction(keep: Uint8Array, shape: readonly number[], n: number, m: number): number {
  const [kh, kw, cIn, cOut] = shape;
  const G = Math.floor(cIn / m);
  let groups = 0;
  let exact = 0;
  for (let r = 0; r < kh * kw; r++) {
    for (let g = 0; g < G; g++) {
      for (let o = 0; o < cOut; o++) {
        const base = r * cIn * cOut + g * m * cOut + o;
        let k = 0;
        for (let j = 0; j < m; j++) k += keep[base + j * cOut];
        groups++;
        // All M kept (N = M) is a dense group, as the pattern grid (nmPatterns.ts) counts it.
        if (k === n && n < m) exact++;
      }
    }
  }
  return groups === 0 ? 0 : exact / groups;
}

export function maskUpdateStats(
  before: { online: Uint8Array; target: Uint8Array },
  after: { online: Uint8Array; target: Uint8Array },
  shape: readonly number[],
  nm: { n: number; m: number } | null,
): MaskUpdateStats {
  const { online, target } = after;
  let both = 0;
  let either = 0;
  let on = 0;
  for (let j = 0; j < online.length; j++) {
    on += online[j];
    both += online[j] & target[j];
    either += online[j] | target[j];
  }
  return {
    flips: { online: diffCount(before.online, online), target: diffCount(before.target, target) },
    nested: on === 0 ? 1 : both / on,
    iou: either === 0 ? 1 : both / either,
    // A layer with fewer input channels than M has no full group: its share is undefined, not 0
    // (the chart drew a flat 0% under a plan rising to 100%), so it gets no line.
    nmFraction: nm && Math.floor(shape[2] / nm.m) > 0 ? { online: nmGroupFraction(online, shape, nm.n, nm.m), target: nmGroupFraction(target, shape, nm.n, nm.m) } : null,
  };
}
