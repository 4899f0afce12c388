// A worker the page has replaced (Restart, a backend switch, "Measure again") may still
// deliver what it posted before terminate(). Its backend report ("measured earlier") or its
// crash must not overwrite the new worker's: only the current worker is heard.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackendReport } from '../../../src/engine/backend';
import { actions } from '../../../src/store/controller';
import { useRun } from '../../../src/store/run';
import { FakeWorker, stubWorker } from './fakeWorker';

function report(cached: boolean): BackendReport {
  return {
    backend: 'cpu',
    adapter: 'JavaScript (cpu)',
    softwareAdapter: false,
    requested: 'webgpu',
    fallbacks: [],
    calibration: { timings: [], cached, at: '2026-11-26T00:00:00Z', device: 'test device' },
  };
}

function deliver(w: FakeWorker, data: unknown): void {
  w.dispatchEvent(new MessageEvent('message', { data }));
}

describe('messages from a replaced worker', () => {
  beforeEach(() => {
    stubWorker();
    // Measure again forgets the cached measurement and rewrites the link.
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} });
    vi.stubGlobal('history', { replaceState: () => {} });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("are ignored: the old worker's cached report does not show once Measure again has started a new one", () => {
    actions.restart();
    const old = FakeWorker.last!;
    deliver(old, { type: 'backend', report: report(true) });
    expect(useRun.getState().backend?.calibration?.cached).toBe(true);

    actions.recalibrate();
    const fresh = FakeWorker.last!;
    expect(fresh).not.toBe(old);
    expect(useRun.getState().backend).toBeUndefined();
    // The old worker's report arrives late: the page still waits for the new measurement.
    deliver(old, { type: 'backend', report: report(true) });
    expect(useRun.getState().backend).toBeUndefined();
    expect(useRun.getState().worker).toBe('starting');
    // The new worker's report is shown.
    deliver(fresh, { type: 'backend', report: report(false) });
    expect(useRun.getState().backend?.calibration?.cached).toBe(false);
    expect(useRun.getState().worker).toBe('ready');
  });

  it("a replaced worker's error does not mark the running one crashed; the current one's does", () => {
    actions.restart();
    const old = FakeWorker.last!;
    actions.restart();
    const fresh = FakeWorker.last!;
    deliver(fresh, { type: 'backend', report: report(false) });
    old.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'old' }));
    old.dispatchEvent(new Event('messageerror'));
    expect(useRun.getState().worker).toBe('ready');
    expect(useRun.getState().error).toBeUndefined();
    fresh.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'boom' }));
    expect(useRun.getState().worker).toBe('crashed');
    expect(useRun.getState().error?.message).toContain('boom');
  });

  // From a UI hunt: a messageerror left the build (and a restore) on, so the page said
  // "building…" for good under the crash banner.
  for (const event of ['messageerror', 'error'] as const)
    it(`${event === 'error' ? 'an' : 'a'} ${event} during a build and an import: the page stops building, and says the file was not imported`, () => {
      actions.restart();
      const w = FakeWorker.last!;
      deliver(w, { type: 'backend', report: report(false) });
      useRun.setState({ building: true, loadingData: true, measuringDense: true, restoring: { kind: 'import', name: 'run.zip' } });
      w.dispatchEvent(event === 'error' ? Object.assign(new Event('error', { cancelable: true }), { message: 'boom' }) : new Event('messageerror'));
      const s = useRun.getState();
      expect([s.worker, s.building, s.loadingData, s.measuringDense, s.restoring]).toEqual(['crashed', false, false, false, undefined]);
      expect(s.error?.message).toMatch(/run\.zip was not imported: press Restart, then load it again\.$/);
    });

  // From a review: kept timings marked on this load (their winner did not start) must be stored
  // again though not measured now; kept ones used as they are are not rewritten.
  it('a backend report is stored when measured, or kept and changed; not when kept as it was', () => {
    const stored: string[] = [];
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: (_k: string, v: string) => stored.push(v), removeItem: () => {} });
    actions.restart();
    const w = FakeWorker.last!;
    const timings = [{ backend: 'cpu' as const, adapter: 'cpu', software: false, ms: 2, warmupMs: 3 }];
    const with_ = (c: Partial<NonNullable<BackendReport['calibration']>>) => ({ type: 'backend', report: { ...report(true), calibration: { ...report(true).calibration!, timings, ...c } } });
    deliver(w, with_({ cached: true }));
    expect(stored).toHaveLength(0);
    deliver(w, with_({ cached: true, changed: true }));
    expect(stored).toHaveLength(1);
    deliver(w, with_({ cached: false }));
    expect(stored).toHaveLength(2);
  });
});

