// Found by a panels hunt: a run pinned while the next run was being built was named after the
// next run (the settings change at once; the rows are the last run's until 'ready').
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { useMetrics } from '../../../src/store/metrics';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { stubPage } from './fakeWorker';

describe('Pin this run', () => {
  beforeEach(() => {
    stubPage();
    const config = buildConfig({ preset: 'cdg', tiny: true });
    useSettings.setState({ preset: 'cdg', tiny: true, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
    useMetrics.setState({ rows: [{ step: 1, loss: 4, lr: 0, ms: 1, flops: { dense: 1, effective: 1 }, tensors: 0 }] as never, references: [] });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('pins the run on screen, named after it; not while the next run builds', () => {
    actions.restart(); // a worker (its run's rows are set below, as if it had trained)
    useRun.setState({ building: false, worker: 'ready', hasRun: true });
    useMetrics.setState({ rows: [{ step: 1, loss: 4, lr: 0, ms: 1, flops: { dense: 1, effective: 1 }, tensors: 0 }] as never });
    actions.pinRun();
    expect(useMetrics.getState().references.map((r) => r.name)).toEqual(['cdg (tiny) · step 1']);
    actions.setPreset('syncp-2of4'); // the settings name the next run at once; its rows come with 'ready'
    expect(useMetrics.getState().rows).toHaveLength(1);
    expect(useRun.getState().building).toBe(true);
    actions.pinRun();
    expect(useMetrics.getState().references.map((r) => r.name)).toEqual(['cdg (tiny) · step 1']);
  });
});
