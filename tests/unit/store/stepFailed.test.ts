// A step that failed and was undone (kind 'step-failed'): the worker is fine and the run is
// whole at its step, so the page keeps the worker, says which step failed, and lets Step and
// Start try again. It treated every such failure as a stopped worker (Restart only), though
// the trainer had already put the run back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { runButtons } from '../../../src/ui/keys';
import { offersRestart } from '../../../src/ui/ErrorBanner';
import { FakeWorker, stubPage } from './fakeWorker';

type Sent = { type: string; gen?: number };

function builtRun(): { w: FakeWorker; gen: number } {
  actions.restart();
  const w = FakeWorker.last!;
  const gen = (w.sent as Sent[]).filter((m) => m.type === 'init').at(-1)!.gen!;
  const config = useSettings.getState().applied;
  const say = (data: unknown) => w.dispatchEvent(new MessageEvent('message', { data }));
  say({ type: 'ready', gen, config, dataset: { name: 'shapes', classes: ['a', 'b'], trainCount: 1, testCount: 1, imageSize: 16, channels: 3 }, flops: { dense: 1, effective: 1 }, tensors: 0 });
  say({ type: 'phase', gen, phase: 'running', step: 4 });
  return { w, gen };
}

describe('a step that failed and was undone', () => {
  beforeEach(() => {
    stubPage();
    const config = buildConfig({ preset: 'simclr-dense', tiny: true });
    useSettings.setState({ preset: 'simclr-dense', tiny: true, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
    useRun.setState({ error: undefined });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    // The run store as a fresh page has it: the next file in this fork (isolate: false) must not start "crashed".
    useRun.setState(useRun.getInitialState(), true);
  });

  it('keeps the worker: the banner says the step, Step and Start go on, no Restart is needed', () => {
    const { w, gen } = builtRun();
    const say = (data: unknown) => w.dispatchEvent(new MessageEvent('message', { data }));
    say({ type: 'error', gen, kind: 'step-failed', message: 'out of memory in the regrowth pass', step: 5, kept: 4 });
    say({ type: 'phase', gen, phase: 'idle', step: 4 });
    const s = useRun.getState();
    expect(s.worker).not.toBe('crashed');
    expect(s.error).toMatchObject({ kind: 'step-failed', step: 5, kept: 4, message: 'out of memory in the regrowth pass' });
    expect(runButtons(s)).toMatchObject({ start: true, step: true, reset: true });
    expect(offersRestart('step-failed', s.worker)).toBe(false);
    // Step sends a step for this run.
    actions.step();
    expect((w.sent as Sent[]).at(-1)).toEqual({ type: 'step', gen });
  });

  it('is cleared once the failed step has trained; a failure said while the worker is down does not replace its banner', () => {
    const { w, gen } = builtRun();
    const say = (data: unknown) => w.dispatchEvent(new MessageEvent('message', { data }));
    const row = (step: number) => ({ step, loss: 1, lr: 0.1, ms: 1, flops: { dense: 1, effective: 1 }, tensors: 0 });
    say({ type: 'error', gen, kind: 'step-failed', message: 'readback failed', step: 5, kept: 4 });
    // Replayed rows (a run announced again) train nothing, even one at the failed step: the banner stays.
    say({ type: 'progress', gen, rows: [row(4), row(5)], stepsPerSecond: 0, timedSteps: 0, replay: true });
    expect(useRun.getState().error?.kind).toBe('step-failed');
    say({ type: 'progress', gen, rows: [row(5)], stepsPerSecond: 1, timedSteps: 1 });
    expect(useRun.getState().error).toBeUndefined();
    // The GPU lost (no run number), then the step in flight fails: the lost device's banner stays.
    say({ type: 'error', kind: 'device-lost', message: 'The GPU device was lost.' });
    say({ type: 'error', gen, kind: 'step-failed', message: 'mapAsync failed', step: 6, kept: 5 });
    expect(useRun.getState()).toMatchObject({ worker: 'crashed', error: { kind: 'device-lost' } });
  });

  it('unlike a fatal error, which stops the worker (Restart only)', () => {
    const { w, gen } = builtRun();
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'error', gen, kind: 'fatal', message: 'boom', step: 4 } }));
    const s = useRun.getState();
    expect(s.worker).toBe('crashed');
    expect(runButtons(s)).toMatchObject({ start: false, step: false });
    expect(offersRestart('fatal', s.worker)).toBe(true);
  });
});
