// When the page says "compiling shaders / warming up, first step": the first step of a run
// object (built, or restored by a resume or an import, whatever its step number) prepares
// the programs every later step reuses, seconds on a slow or software adapter.
import type { RunState } from '../store/run';

export function isWarmingUp(s: Pick<RunState, 'building' | 'step' | 'phase' | 'pending'> & Partial<Pick<RunState, 'firstStepPending'>>): boolean {
  const first = s.firstStepPending ?? s.step === 0;
  return !s.building && first && (s.phase === 'running' || s.phase === 'stepping' || s.pending === 'start' || s.pending === 'step');
}
