// One SyncCP mask update as a pure function (no tfjs): from the masks in use, the scores read
// back at an update step and the schedule's value, the new online/target masks of every
// prunable conv and what the coordinator (syncp.ts) does with them — which weights restart at
// 0 (GraNet regrowth), which entries enter the optimizer's update mask (their Adam moments
// restart), and the panel's record of the update (flips, nestedness, N:M fraction).
import { maskUpdateStats, ones, type MaskUpdateStats } from '../viz/maskStats';
import type { Masker, MaskPair, Shape4, Values } from './maskers/masker';
import { regrowLayer } from './regrowth';
import type { BranchPair } from './scheduleOf';

export interface SyncCPUpdateInput {
  masker: Masker;
  /** The masks in use, one pair per prunable conv, with its kernel shape. */
  layers: readonly ({ shape: Shape4 } & MaskPair)[];
  /** The schedule's value at this step, per role (density or N:M group fraction). */
  value: BranchPair;
  /** Both roles rank the online scores (online ⊆ target); else `scores.target` is the target's own. */
  shared: boolean;
  /** Per layer, in the masker's score layout. */
  scores: { online: readonly Values[]; target: readonly Values[] };
  /** BYOL: the optimizer updates the online mask only; SimCLR: the union of both masks. */
  byol: boolean;
  /** N:M pattern for the record's N:M fraction; null for other granularities. */
  nm: { n: number; m: number } | null;
  /**
   * GraNet regrowth (unstructured only), or null when off. `rate` at this step; |W| and
   * |∂L/∂(W⊙M)| per layer, undefined where no gradient was stashed (then nothing is swapped).
   */
  regrowth: { rate: number; weights: readonly (Values | undefined)[]; grads: readonly (Values | undefined)[] } | null;
}

export interface SyncCPLayerUpdate extends MaskPair {
  planned: BranchPair;
  /** The update's record for the panel. */
  stats: MaskUpdateStats;
  /** 1 where W (and its score EMA) is set to 0; null when none is. */
  zero: Uint8Array | null;
  /** 1 where an entry comes back into the optimizer's update mask (or was grown); null when none does. */
  entered: Uint8Array | null;
}

export function syncpUpdate(x: SyncCPUpdateInput): SyncCPLayerUpdate[] {
  const shapes = x.layers.map((l) => l.shape);
  const planned = x.masker.planned(shapes, x.value);
  const next = x.masker.masks({ shapes, scores: x.scores, shared: x.shared, value: x.value, planned });
  return x.layers.map((before, i) => {
    let after = next[i];
    let zero: Uint8Array | null = null;
    let grown: Uint8Array | undefined;
    if (x.regrowth) {
      // GraNet: drop and grow on the online mask, and zero what restarts (regrowth.ts).
      const so = x.scores.online[i];
      const w = x.regrowth.weights[i];
      const g = x.regrowth.grads[i];
      const r = regrowLayer({
        ...after,
        previous: { online: before.online, target: before.target },
        weightMagnitude: w ?? so,
        gradMagnitude: g ?? so,
        rate: w && g ? x.regrowth.rate : 0,
        nestScores: x.shared ? so : undefined,
      });
      after = { online: r.online, target: r.target };
      if (ones(r.zero)) zero = r.zero;
      if (ones(r.grown)) grown = r.grown;
    }
    return {
      ...after,
      planned: planned[i],
      stats: maskUpdateStats(before, after, before.shape, x.nm),
      zero,
      entered: enteredUpdate(x.byol, before, after, grown),
    };
  });
}

/** The optimizer's update mask: BYOL the online mask; SimCLR (both branches train W) the union of both. */
export function updateMaskOf(byol: boolean, m: MaskPair): Uint8Array {
  if (byol) return m.online;
  const out = new Uint8Array(m.online.length);
  for (let i = 0; i < out.length; i++) out[i] = m.online[i] | m.target[i];
  return out;
}

/**
 * Entries whose weights come back at an update, or null if none: those the optimizer's
 * update mask gains (revived) and those regrowth grew (at 0, even where magnitude pruning
 * had just dropped them).
 */
export function enteredUpdate(byol: boolean, before: MaskPair, after: MaskPair, grown?: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(after.online.length);
  let any = 0;
  for (let i = 0; i < out.length; i++) {
    const was = byol ? before.online[i] : before.online[i] | before.target[i];
    const is = byol ? after.online[i] : after.online[i] | after.target[i];
    out[i] = (is & (was ^ 1)) | (grown ? grown[i] : 0);
    any |= out[i];
  }
  return any ? out : null;
}
