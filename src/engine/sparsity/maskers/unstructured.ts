// Unstructured masker: keep the largest scores, per layer at the layer budget's density
// (uniform or ERK) or in one ranking over all layers ('global'). One total order (score,
// then index) ranks both roles, so with shared scores the online mask is a subset of
// the target mask by construction; per-branch, each role ranks its own scores.
import { layerDensities, type BudgetMode } from '../budget';
import { globalTopKArrays, keptInLayer, selectTopK } from '../masks';
import type { BranchPair } from '../scheduleOf';
import type { Masker, Shape4 } from './masker';

/** Per-layer densities of both roles under a layer budget; the target never keeps less than the online branch. */
export function budgetPlanned(budget: BudgetMode, shapes: readonly Shape4[], value: BranchPair): BranchPair[] {
  const on = layerDensities(budget, shapes, value.online);
  const tg = layerDensities(budget, shapes, value.target);
  return on.map((d, i) => ({ online: d, target: Math.max(d, tg[i]) }));
}

export function unstructuredMasker(budget: BudgetMode): Masker {
  return {
    scoreLayout: 'weight',
    planned: (shapes, value) => budgetPlanned(budget, shapes, value),
    masks({ scores, value, planned }) {
      if (budget === 'global') {
        const on = globalTopKArrays(scores.online, value.online);
        const tg = globalTopKArrays(scores.target, value.target);
        return on.map((online, i) => ({ online, target: tg[i] }));
      }
      return planned.map((p, i) => ({
        online: selectTopK(scores.online[i], keptInLayer(p.online, scores.online[i].length)),
        target: selectTopK(scores.target[i], keptInLayer(p.target, scores.target[i].length)),
      }));
    },
  };
}
