// After a divergence the banner's reset starts the run again from step 0 at half the
// learning rate: a plain reset is seeded and would diverge at the same step.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { draftOf, useSettings } from '../../../src/store/settings';
import { useRun } from '../../../src/store/run';
import { FakeWorker, stubPage } from './fakeWorker';
import { useMetrics } from '../../../src/store/metrics';
import { useTimeline } from '../../../src/store/timeline';
import type { Snapshot } from '../../../src/worker/protocol';

describe('Reset with lr × ½', () => {
  beforeEach(() => {
    stubPage();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('rebuilds the run with the learning rate halved, and clears the divergence', () => {
    const config = buildConfig({ preset: 'byol-dense', tiny: true, overrides: { optim: { lr: 0.006 } } });
    useSettings.setState({ preset: 'byol-dense', tiny: true, draft: draftOf(config), applied: config, issues: {} });
    actions.restart();
    const w = FakeWorker.last!;
    useRun.setState({ error: { kind: 'diverged', step: 40, message: 'NaN loss' } });
    actions.resetWithLowerLr(0.5);
    const sent = w.sent.filter((m) => (m as { type: string }).type === 'configure') as { config: typeof config }[];
    expect(sent).toHaveLength(1);
    expect(sent[0].config.optim.lr).toBe(0.003);
    // Everything else as it was.
    expect({ ...sent[0].config, optim: { ...sent[0].config.optim, lr: 0.006 } }).toEqual(config);
    expect(useSettings.getState().applied.optim.lr).toBe(0.003);
    expect(useRun.getState().error).toBeUndefined();
  });

  it('keeps the banner when the rate cannot be applied (another setting’s draft is invalid), and sends nothing', () => {
    const config = buildConfig({ preset: 'byol-dense', tiny: true, overrides: { optim: { lr: 0.006 } } });
    useSettings.setState({ preset: 'byol-dense', tiny: true, draft: { ...draftOf(config), 'model.widths': '8,,x' }, applied: config, issues: {} });
    actions.restart();
    const w = FakeWorker.last!;
    useRun.setState({ error: { kind: 'diverged', step: 40, message: 'NaN loss' } });
    actions.resetWithLowerLr(0.5);
    expect(w.sent.filter((m) => (m as { type: string }).type === 'configure')).toEqual([]);
    expect(useRun.getState().error?.kind).toBe('diverged');
    expect(useSettings.getState().issues['model.widths']).toBeDefined();
  });

  it('Continue with lr × ½: the worker’s new config rewrites the rate only; text being typed elsewhere stays, with its message', () => {
    const config = buildConfig({ preset: 'byol-dense', tiny: true, overrides: { optim: { lr: 0.006 } } });
    useSettings.setState({ preset: 'byol-dense', tiny: true, draft: { ...draftOf(config), batchSize: 'abc' }, applied: config, issues: { batchSize: 'not a number' } });
    actions.restart();
    const w = FakeWorker.last!;
    const gen = (w.sent.at(-1) as { gen: number }).gen;
    const halved = { ...config, optim: { ...config.optim, lr: 0.003 } };
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'config', gen, config: halved } }));
    const s = useSettings.getState();
    expect(s.applied.optim.lr).toBe(0.003);
    expect(s.draft['optim.lr']).toBe('0.003');
    expect(s.draft.batchSize).toBe('abc');
    expect(s.issues.batchSize).toBe('not a number');
  });
});

// Found by a read-only hunt: "Continue with lr × ½" could never get past a divergence (the
// kept state gave the same loss at any rate). The worker now rolls back the update that led to
// it, and says to which step: the page drops what it drew after that step.
describe('a divergence rolled back to an earlier step', () => {
  beforeEach(() => stubPage());
  afterEach(() => vi.unstubAllGlobals());
  const gen = () => (FakeWorker.last!.sent.at(-1) as { gen: number }).gen;
  const answer = (data: unknown) => FakeWorker.last!.dispatchEvent(new MessageEvent('message', { data }));
  const row = (step: number) => ({ step, loss: 10 + step, lr: 0.001, ms: 5, flops: { dense: 1, effective: 1 }, tensors: 9, ...(step === 4 ? { knn: 0.4 } : {}), ...(step === 5 ? { knn: 0.5 } : {}) });
  const snap = (step: number) => ({ step, samples: [], views: [], plugins: {} }) as unknown as Snapshot;

  it('drops the rows, snapshots and mask updates after the step the run is back at', () => {
    actions.restart();
    answer({ type: 'progress', gen: gen(), rows: [1, 2, 3, 4, 5].map(row), stepsPerSecond: 1, timedSteps: 4 });
    answer({ type: 'progress', gen: gen(), rows: [{ ...row(6), update: { step: 6, layers: [] } }], stepsPerSecond: 1, timedSteps: 4 });
    for (const st of [2, 4, 6]) answer({ type: 'snapshot', gen: gen(), snapshot: snap(st) });
    expect(useRun.getState().step).toBe(6);
    answer({ type: 'error', gen: gen(), kind: 'diverged', message: 'NaN', step: 7, kept: 5, rolledBack: true, what: 'its loss was finite, but …' });
    expect(useRun.getState().error).toMatchObject({ rolledBack: true, what: 'its loss was finite, but …' });
    expect(useMetrics.getState().rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    expect(useTimeline.getState().entries.map((e) => e.step)).toEqual([2, 4]);
    expect(useTimeline.getState().updates).toEqual([]);
    const s = useRun.getState();
    expect([s.step, s.loss, s.knn, s.error?.kept]).toEqual([5, 15, 0.5, 5]);
  });

  // Found by a panels hunt: viewing a step past the kept one jumped the view to live; viewing
  // one that became the newest left an index the timeline bar read as scrubbing and the charts
  // as live. Now: the nearest kept step before the viewed one, and live when that is the newest.
  for (const [viewed, kept, expected] of [
    [8, 7, null], // the viewed step dropped: the nearest kept one before it is the newest, so live
    [8, 9, null], // the viewed step is now the newest kept: live, which shows it
    [6, 9, 6], // an older step viewed: stays
    [2, 5, 2], // 2 and 4 kept, viewing 2: stays
    [4, 5, null], // 2 and 4 kept, viewing 4, the newest: live
  ] as const)
    it(`viewing step ${viewed}, rolled back to ${kept}: the view is ${expected === null ? 'live' : `step ${expected}`}`, () => {
      actions.restart();
      answer({ type: 'progress', gen: gen(), rows: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(row), stepsPerSecond: 1, timedSteps: 4 });
      for (const st of [2, 4, 6, 8, 10]) answer({ type: 'snapshot', gen: gen(), snapshot: snap(st) });
      actions.viewSnapshot(useTimeline.getState().entries.findIndex((e) => e.step === viewed));
      answer({ type: 'error', gen: gen(), kind: 'diverged', message: 'NaN', step: kept + 1, kept });
      const t = useTimeline.getState();
      expect(t.viewIndex === null ? null : t.entries[t.viewIndex].step).toBe(expected);
      // Never an index on the newest entry: that is live.
      expect(t.viewIndex === null || t.viewIndex < t.entries.length - 1).toBe(true);
    });

  it('puts back the FLOPs and tensor counters of the step it is back at, and drops a dense timing made after it', () => {
    actions.restart();
    const r = (step: number, effective: number, tensors: number) => ({ ...row(step), flops: { dense: 100, effective }, tensors });
    answer({ type: 'progress', gen: gen(), rows: [r(1, 90, 9), r(2, 80, 9), r(3, 50, 12)], stepsPerSecond: 1, timedSteps: 2 });
    useRun.setState({ denseTiming: { step: 3, runMs: 5, denseMs: 6, counted: 0.5 } });
    expect(useRun.getState().flops).toEqual({ dense: 100, effective: 50 });
    answer({ type: 'error', gen: gen(), kind: 'diverged', message: 'NaN', step: 4, kept: 2 });
    const s = useRun.getState();
    expect([s.flops, s.tensors, s.denseTiming]).toEqual([{ dense: 100, effective: 80 }, 9, undefined]);
    // A timing at or before the kept step stays.
    answer({ type: 'progress', gen: gen(), rows: [r(3, 50, 12)], stepsPerSecond: 1, timedSteps: 2 });
    useRun.setState({ denseTiming: { step: 2, runMs: 5, denseMs: 6, counted: 0.8 } });
    answer({ type: 'error', gen: gen(), kind: 'diverged', message: 'NaN', step: 4, kept: 2 });
    expect(useRun.getState().denseTiming?.step).toBe(2);
  });
});

