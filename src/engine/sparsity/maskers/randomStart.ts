// The reference code's start (solo-learn-sparse, sparse.py's ERK init): before the first
// update the masks are random with ERK layer densities at the schedule's initial value.
// Random scores ranked by the granularity's masker give exact per-layer counts; with
// shared scores one draw ranks both roles (nested), per branch two independent draws.
import type { SyncCPConfig } from '../../config';
import { Rng } from '../../random';
import type { BranchPair } from '../scheduleOf';
import { maskerFor } from './index';
import type { Masker, MaskPair, Shape4 } from './masker';

export function randomStart(erk: Masker, shapes: readonly Shape4[], value: BranchPair, shared: boolean, rng: Rng): { masks: MaskPair[]; planned: BranchPair[] } {
  const planned = erk.planned(shapes, value);
  const draw = () => shapes.map((s) => Float64Array.from({ length: erk.scoreLayout === 'channel' ? s[3] : s[0] * s[1] * s[2] * s[3] }, () => rng.next()));
  const online = draw();
  return { masks: erk.masks({ shapes, scores: { online, target: shared ? online : draw() }, shared, value, planned }), planned };
}

/** A run's start: dense, or (initialDensity < 1) random masks at the schedule's initial value with ERK layer densities; planned densities ERK's either way. */
export function startMasks(cfg: SyncCPConfig, shapes: readonly Shape4[], value: BranchPair, shared: boolean, seed: number): { masks: MaskPair[]; planned: BranchPair[] } {
  const erk = maskerFor({ ...cfg, layerBudget: 'erk' });
  if (cfg.initialDensity < 1) return randomStart(erk, shapes, value, shared, new Rng(seed).fork('syncp-initial-masks'));
  const dense = (s: Shape4) => new Uint8Array(s[0] * s[1] * s[2] * s[3]).fill(1);
  return { masks: shapes.map((s) => ({ online: dense(s), target: dense(s) })), planned: erk.planned(shapes, value) };
}
