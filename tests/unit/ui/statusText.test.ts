// The run's status under the step counter (a status region: a screen reader says it). A fresh
// page, or a reset run, is ready to start, not "paused" (a first-visit hunt).
import { describe, expect, it } from 'vitest';
import { statusText } from '../../../src/ui/Stats';

const base = { building: false, worker: 'ready', hasRun: true, phase: 'idle' as const, step: 0 };

describe('statusText', () => {
  it('idle at step 0 is ready; idle later is paused', () => {
    expect(statusText(base)).toBe('ready');
    expect(statusText({ ...base, step: 7 })).toBe('paused');
    // A run that diverged at step 1 is kept at step 0 with Start and Step off: not ready.
    expect(statusText({ ...base, error: { kind: 'diverged' } })).toBe('diverged');
    expect(statusText({ ...base, error: { kind: 'step-failed' } })).toBe('ready');
  });

  it('building, stopped and no run come first; the other phases say what runs', () => {
    expect(statusText({ ...base, building: true })).toBe('building…');
    expect(statusText({ ...base, worker: 'crashed' })).toBe('stopped');
    expect(statusText({ ...base, hasRun: false })).toBe('no run');
    expect(statusText({ ...base, phase: 'running', step: 0 })).toBe('training');
    expect(statusText({ ...base, phase: 'stepping', step: 0 })).toBe('one step…');
    expect(statusText({ ...base, phase: 'done', step: 300 })).toBe('finished');
  });
});
