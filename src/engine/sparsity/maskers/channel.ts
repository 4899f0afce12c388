// Channel masker: whole output channels, ranked by the norm of their filter (the scores
// arrive per output channel). Norms of different layers are not comparable, so a
// 'global' budget falls back to uniform.
import * as tf from '@tensorflow/tfjs';
import type { BudgetMode } from '../budget';
import { expandChannelKeep, keptInLayer, selectTopK } from '../masks';
import type { Masker } from './masker';
import { budgetPlanned } from './unstructured';

export function channelMasker(budget: BudgetMode): Masker {
  const mode = budget === 'global' ? 'uniform' : budget;
  return {
    scoreLayout: 'channel',
    planned: (shapes, value) => budgetPlanned(mode, shapes, value),
    masks({ shapes, scores, planned }) {
      return shapes.map((shape, i) => {
        const [kh, kw, cIn, cOut] = shape;
        const size = kh * kw * cIn * cOut;
        const keep = (s: ArrayLike<number>, d: number) => expandChannelKeep(selectTopK(s, keptInLayer(d, cOut)), size);
        return { online: keep(scores.online[i], planned[i].online), target: keep(scores.target[i], planned[i].target) };
      });
    },
  };
}

/** Per-output-channel scores of a kernel's weight scores [kh, kw, C_in, C_out], on the device: L1 norm, or squared L2 norm (same order). */
export function channelScores(scores: tf.Tensor, norm: 'l1' | 'l2'): tf.Tensor1D {
  return tf.tidy(() => tf.sum(norm === 'l1' ? tf.abs(scores) : tf.square(scores), [0, 1, 2]) as tf.Tensor1D);
}
