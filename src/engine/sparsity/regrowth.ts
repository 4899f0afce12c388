// GraNet drop-and-grow on one layer's mask (pure): drop the k kept weights of smallest
// |W| and grow k of the pruned positions of largest |∂L/∂(W⊙M)|, k = round(rate·nnz)
// (at most the number of pruned positions). Grown positions are chosen among those
// pruned BEFORE the drop, so dropped and grown sets are disjoint and the kept count is
// exactly unchanged. Ties by lower index (selectTopK).
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
