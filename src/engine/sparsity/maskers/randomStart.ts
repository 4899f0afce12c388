// The reference code's start (solo-learn-sparse, sparse.py's ERK init): before the first
// update the masks are random with ERK layer densities at the schedule's initial value.
// Random scores ranked by the granularity's masker give exact per-layer counts; with
// shared scores one draw ranks both roles (nested), per branch two independent draws.
import type { SyncCPConfig } from '../../config';
import { Rng } from '../../random';
import { erkDensities } from '../budget';
import type { BranchPair } from '../scheduleOf';
import { maskerFor } from './index';
import type { Masker, MaskPair, Shape4 } from './masker';

/**
 * N:M with ERK layer densities, as contrastive_nm_sparse.py's init() starts: ERK at the
 * density d (1 − the schedule's N:M fraction) gives each layer its d_l, and 1 − d_l of its
 * groups are N:M (the target at its own d + g). The N:M masker alone gives every layer the
 * same fraction: after the first update that is the reference's rule too (mp_grp_mask at one
 * probability), so only the start needs this.
 */
export function erkNm(nm: Masker): Masker {
  const fractions = (shapes: readonly Shape4[], value: BranchPair): BranchPair[] => {
    const on = erkDensities(shapes, 1 - value.online);
    const tg = erkDensities(shapes, 1 - value.target);
    return shapes.map((_, l) => ({ online: 1 - on[l], target: 1 - tg[l] }));
  };
  return {
    scoreLayout: nm.scoreLayout,
    planned: (shapes, value) => fractions(shapes, value).flatMap((v, l) => nm.planned([shapes[l]], v)),
    masks: ({ shapes, scores, shared, value }) =>
      fractions(shapes, value).flatMap((v, l) => {
        const layer = [shapes[l]];
        return nm.masks({ shapes: layer, scores: { online: [scores.online[l]], target: [scores.target[l]] }, shared, value: v, planned: nm.planned(layer, v) });
      }),
  };
}

export function randomStart(erk: Masker, shapes: readonly Shape4[], value: BranchPair, shared: boolean, rng: Rng): { masks: MaskPair[]; planned: BranchPair[] } {
  const planned = erk.planned(shapes, value);
  const draw = () => shapes.map((s) => Float64Array.from({ length: erk.scoreLayout === 'channel' ? s[3] : s[0] * s[1] * s[2] * s[3] }, () => rng.next()));
  const online = draw();
  return { masks: erk.masks({ shapes, scores: { online, target: shared ? online : draw() }, shared, value, planned }), planned };
}

/** A run's start: dense, or (initialDensity < 1) random masks at the schedule's initial value with ERK layer densities; planned densities ERK's either way. */
export function startMasks(cfg: SyncCPConfig, shapes: readonly Shape4[], value: BranchPair, shared: boolean, seed: number): { masks: MaskPair[]; planned: BranchPair[] } {
  const erk = cfg.granularity === 'nm' ? erkNm(maskerFor(cfg)) : maskerFor({ ...cfg, layerBudget: 'erk' });
  if (cfg.initialDensity < 1) return randomStart(erk, shapes, value, shared, new Rng(seed).fork('syncp-initial-masks'));
  const dense = (s: Shape4) => new Uint8Array(s[0] * s[1] * s[2] * s[3]).fill(1);
  return { masks: shapes.map((s) => ({ online: dense(s), target: dense(s) })), planned: erk.planned(shapes, value) };
}
