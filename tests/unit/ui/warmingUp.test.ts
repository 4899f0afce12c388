// "Compiling shaders / warming up, first step" shows for the first step of a run object: a
// fresh run's step 1, and also a resumed run's first step at step 120 (a fresh worker compiles
// its programs then too); not for a run that trained already and was only announced again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { isWarmingUp } from '../../../src/ui/warmingUp';
import { FakeWorker, stubPage } from '../store/fakeWorker';

const config = buildConfig({ preset: 'simclr-dense', tiny: true });
const row = (step: number) => ({ step, loss: 1, lr: 0.01, flops: { dense: 1, effective: 1 }, tensors: 1 });

describe('the first-step notice', () => {
  beforeEach(() => {
    stubPage();
    useSettings.setState({ preset: 'simclr-dense', tiny: true, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('is by the run object, not by step 0: a restored run at step 120 warms up; its replayed rows do not end it, its first trained step does', () => {
    actions.restart();
    const w = FakeWorker.last!;
    const gen = (w.sent.at(-1) as { gen: number }).gen;
    const send = (data: unknown) => w.dispatchEvent(new MessageEvent('message', { data }));
    // A restored run: ready (never trained in this worker), then its history as rows.
    send({ type: 'ready', gen, config, dataset: { name: 'shapes' }, flops: { dense: 1, effective: 1 }, tensors: 10 });
    send({ type: 'progress', gen, rows: [row(119), row(120)], stepsPerSecond: 0, timedSteps: 0, replay: true });
    expect(useRun.getState()).toMatchObject({ step: 120, firstStepPending: true });
    expect(isWarmingUp({ ...useRun.getState(), pending: 'start' })).toBe(true);
    // Before: step 120 ≠ 0, so nothing said while the first step compiled.
    expect(isWarmingUp({ ...useRun.getState(), pending: 'start', firstStepPending: undefined })).toBe(false);
    send({ type: 'progress', gen, rows: [row(121)], stepsPerSecond: 0, timedSteps: 0 });
    expect(useRun.getState().firstStepPending).toBe(false);
    expect(isWarmingUp({ ...useRun.getState(), phase: 'running' })).toBe(false);
    // A run announced again after it trained (a refused import): warm, nothing to compile.
    send({ type: 'ready', gen, config, dataset: { name: 'shapes' }, flops: { dense: 1, effective: 1 }, tensors: 10, warm: true });
    expect(useRun.getState().firstStepPending).toBe(false);
  });

  it('a fresh run at step 0 warms up while it starts or steps, not while idle or building', () => {
    const s = { building: false, step: 0, phase: 'idle' as const, pending: undefined, firstStepPending: true };
    expect(isWarmingUp(s)).toBe(false);
    expect(isWarmingUp({ ...s, pending: 'step' })).toBe(true);
    expect(isWarmingUp({ ...s, phase: 'running' })).toBe(true);
    expect(isWarmingUp({ ...s, phase: 'running', building: true })).toBe(false);
  });
});
