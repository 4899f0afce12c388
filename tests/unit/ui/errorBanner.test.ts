// The error banner while the worker is down: a later error (own images or a file the stopped
// worker cannot take) replaces the crash's banner, and Restart must stay on it, since Start,
// Step and Reset are disabled while crashed and nothing else restarts the worker.
import { describe, expect, it } from 'vitest';
import { offersRestart } from '../../../src/ui/ErrorBanner';

describe('the error banner', () => {
  it('offers Restart while the worker is crashed, whatever error came last', () => {
    expect(offersRestart('data', 'crashed')).toBe(true);
    expect(offersRestart('import', 'crashed')).toBe(true);
  });

  it('with a live worker, only a crash, a lost device or a fatal error offers it', () => {
    expect(offersRestart('data', 'ready')).toBe(false);
    expect(offersRestart('import', 'ready')).toBe(false);
    expect(offersRestart('diverged', 'ready')).toBe(false);
    for (const kind of ['crash', 'device-lost', 'fatal']) expect(offersRestart(kind, 'ready')).toBe(true);
  });
});
