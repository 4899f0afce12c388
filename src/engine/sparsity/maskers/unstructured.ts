// Unstructured masker: keep the largest scores, per layer at the layer budget's density
// (uniform or ERK) or in one ranking over all layers ('global'). One total order (score,
// then index) ranks both roles, so with shared scores the online mask is a subset of
// the target mask by construction; per-branch, each role ranks its own scores.
import { layerDensities, type BudgetMode } from '../budget';
import { globalTopKArrays, keptCount, selectTopK } from '../masks';
import type { Masker } from './masker';

export function unstructuredMasker(budget: BudgetMode): Masker {
  return {
    scoreLayout: 'weight',
    planned(shapes, value) {
      const on = layerDensities(budget, shapes, value.online);
      const tg = layerDensities(budget, shapes, value.target);
      // ERK of a larger budget can give a layer less than ERK of a smaller one only by
      // rounding; the target never keeps less than the online branch.
      return on.map((d, i) => ({ online: d, target: Math.max(d, tg[i]) }));
    },
    masks({ scores, value, planned }) {
      if (budget === 'global') {
        const on = globalTopKArrays(scores.online, value.online);
        const tg = globalTopKArrays(scores.target, value.target);
        return on.map((online, i) => ({ online, target: tg[i] }));
      }
      return planned.map((p, i) => ({
        online: selectTopK(scores.online[i], keptCount(p.online, scores.online[i].length)),
        target: selectTopK(scores.target[i], keptCount(p.target, scores.target[i].length)),
      }));
    },
  };
}
