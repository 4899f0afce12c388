// GraNet drop-and-grow on one layer's mask (pure): drop the k kept weights of smallest
// |W| and grow k of the pruned positions of largest |∂L/∂(W⊙M)|, k = round(rate·nnz)
// (at most the number of pruned positions). Grown positions are chosen among those
// pruned BEFORE the drop, so dropped and grown sets are disjoint and the kept count is
// exactly unchanged. Ties by lower index (selectTopK). regrowLayer adds what GraNet does
// around it: which weights restart at 0.
import { keptCount, selectTopK } from './masks';

type Values = ArrayLike<number>;

export interface Regrown {
  mask: Uint8Array;
  /** 1 where a weight was grown (it starts at 0). */
  grown: Uint8Array;
  /** 1 where a kept weight was dropped. */
  dropped: Uint8Array;
}

/** The swapped mask, or null when nothing is swapped (rate 0, nothing kept or nothing pruned). */
export function regrow(mask: Uint8Array, weightMagnitude: Values, gradMagnitude: Values, rate: number): Regrown | null {
  const size = mask.length;
  let nnz = 0;
  for (let j = 0; j < size; j++) nnz += mask[j];
  const k = Math.min(keptCount(rate, nnz), size - nnz);
  if (k <= 0) return null;
  const dropScore = new Float64Array(size);
  const growScore = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    dropScore[j] = mask[j] ? -weightMagnitude[j] : -Infinity; // smallest |W| among kept first
    growScore[j] = mask[j] ? -Infinity : gradMagnitude[j]; // largest |grad| among pruned first
  }
  const dropped = selectTopK(dropScore, k);
  const grown = selectTopK(growScore, k);
  const out = mask.slice();
  for (let j = 0; j < size; j++) {
    if (dropped[j]) out[j] = 0;
    if (grown[j]) out[j] = 1;
  }
  return { mask: out, grown, dropped };
}

/** A sparser mask grown inside a denser one: keep all of `inner`, fill up to `count` by the largest scores. */
export function nestAround(inner: Uint8Array, scores: Values, count: number): Uint8Array {
  const v = new Float64Array(inner.length);
  let kept = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = inner[i] ? Infinity : scores[i];
    kept += inner[i];
  }
  return selectTopK(v, Math.max(count, kept));
}

export interface LayerRegrowth {
  /** The masks after the magnitude update, before regrowth. */
  online: Uint8Array;
  target: Uint8Array;
  /** The masks in use before this update. */
  previous: { online: Uint8Array; target: Uint8Array };
  weightMagnitude: Values;
  gradMagnitude: Values;
  rate: number;
  /** Shared scores: the target is re-nested around the regrown online mask at its count, ranking these. */
  nestScores?: Values;
}

export interface LayerRegrowthResult {
  online: Uint8Array;
  target: Uint8Array;
  /** 1 where the weight is set to 0: grown weights (GraNet starts them at 0) and weights that left both masks. */
  zero: Uint8Array;
  /** 1 where a weight was grown into the online mask. */
  grown: Uint8Array;
}

/**
 * One layer's GraNet update (pure). Drop and grow on the online mask (regrow), re-nest a
 * shared-score target, then decide which weights are zeroed: those grown (they start at
 * 0) and those that left BOTH masks at this update (GraNet zeroes pruned weights, so a
 * later magnitude ranking cannot bring them back at their old value). A weight that left
 * only the online mask keeps its value: the denser target still uses it.
 */
export function regrowLayer(x: LayerRegrowth): LayerRegrowthResult {
  let online = x.online;
  let target = x.target;
  const size = online.length;
  let grown: Uint8Array = new Uint8Array(size);
  const r = x.rate > 0 ? regrow(online, x.weightMagnitude, x.gradMagnitude, x.rate) : null;
  if (r) {
    online = r.mask;
    grown = r.grown;
    if (x.nestScores) {
      let count = 0;
      for (let j = 0; j < size; j++) count += target[j];
      target = nestAround(online, x.nestScores, count);
    }
  }
  const zero = new Uint8Array(size);
  for (let j = 0; j < size; j++) {
    const wasKept = x.previous.online[j] | x.previous.target[j];
    const isKept = online[j] | target[j];
    zero[j] = grown[j] | (wasKept & (isKept ^ 1));
  }
  return { online, target, zero, grown };
}
