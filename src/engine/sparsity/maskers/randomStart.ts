// The reference code's start (solo-learn-sparse, sparse.py's ERK init): before the first
// update the masks are random with ERK layer densities at the schedule's initial value.
// Random scores ranked by the granularity's masker give exact per-layer counts; with
// shared scores one draw ranks both roles (nested), per branch two independent draws.
import type { Rng } from '../../random';
import type { BranchPair } from '../scheduleOf';
import type { Masker, MaskPair, Shape4 } from './masker';

export function randomStart(erk: Masker, shapes: readonly Shape4[], value: BranchPair, shared: boolean, rng: Rng): { masks: MaskPair[]; planned: BranchPair[] } {
  const planned = erk.planned(shapes, value);
  const draw = () => shapes.map((s) => Float64Array.from({ length: erk.scoreLayout === 'channel' ? s[3] : s[0] * s[1] * s[2] * s[3] }, () => rng.next()));
  const online = draw();
  return { masks: erk.masks({ shapes, scores: { online, target: shared ? online : draw() }, shared, value, planned }), planned };
}
