// A build the worker cannot make (here: own data with none loaded) comes after the worker has
// disposed the run before it. The page then shows no run: not that run's rows, snapshots or
// step under "live". The real controller and CommandQueue over a fake host (queueWorker.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { useMetrics } from '../../../src/store/metrics';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { recordSnapshot, useTimeline } from '../../../src/store/timeline';
import type { Snapshot } from '../../../src/worker/protocol';
import { behaviour, settle, stubQueueWorker } from './queueWorker';

beforeEach(() => {
  stubQueueWorker();
  const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 1000 } });
  useSettings.setState({ applied: config, draft: draftOf(config), issues: {}, preset: 'simclr-dense', tiny: true, backend: 'cpu', importedBase: undefined, importedName: undefined });
  useRun.setState({ error: undefined, restoring: undefined, ownData: undefined });
  Object.assign(behaviour, { stepMs: 5, refuse: () => true, exportFails: false, loadFails: false, stepFails: false, restores: 0 });
  vi.stubGlobal('history', { replaceState: () => {} });
});
afterEach(() => vi.unstubAllGlobals());

describe('a build that fails', () => {
  it('leaves no earlier run on screen', async () => {
    actions.restart();
    await settle();
    for (let i = 0; i < 3; i++) {
      actions.step();
      await settle();
    }
    recordSnapshot({ step: 3, samples: [], views: [], plugins: {}, flops: { layers: [], dense: 1, effective: 1 } } as unknown as Snapshot);
    useRun.setState({ snapshot: useTimeline.getState().entries[0] });
    expect(useMetrics.getState().rows.length).toBe(3);
    expect(useRun.getState().step).toBe(3);

    // The Dataset field refuses 'own' while the page holds no own images; here the page
    // believes some are loaded while the worker has none, so the build itself fails.
    useRun.setState({ ownData: { count: 10 } as never });
    actions.setField('data.name', 'own');
    await settle();
    const s = useRun.getState();
    expect(s.error?.kind).toBe('config');
    expect(s.error?.message).toMatch(/no own data is loaded yet/);
    expect([s.hasRun, s.step, s.snapshot]).toEqual([false, 0, undefined]);
    // Nothing of the disposed run's counters either.
    expect([s.config, s.dataset, s.flops, s.tensors, s.baselines, s.stepsPerSecond]).toEqual([undefined, undefined, undefined, undefined, undefined, 0]);
    expect(useMetrics.getState().rows).toEqual([]);
    expect(useTimeline.getState().entries).toEqual([]);
  });
});
