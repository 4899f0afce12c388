// @vitest-environment happy-dom
// The backend choice notice can be dismissed (it had only "Measure again", which restarts the
// run, so it stayed above the panels for the whole session; a first-visit hunt). Dismissed for
// that measurement only: a new one is said again.
import { act, createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendReport } from '../../../src/engine/backend';
import { useRun } from '../../../src/store/run';
import { BackendNotice } from '../../../src/ui/BackendBadge';
import { domRoot } from './domRoot';

const dom = domRoot();
// The stores are shared with the files that run after this one in the same fork (isolate: false).
afterEach(() => useRun.setState({ backend: undefined }));
const report = (): BackendReport => ({
  backend: 'cpu',
  adapter: 'cpu',
  softwareAdapter: false,
  requested: 'cpu',
  fallbacks: [],
  calibration: { timings: [{ backend: 'cpu', adapter: 'cpu', software: false, ms: 12, warmupMs: 12 }], cached: false, at: '2026-11-29T00:00:00Z', device: 'test' },
});

describe('the backend choice notice', () => {
  it('Dismiss hides it; a new measurement shows it again', async () => {
    useRun.setState({ backend: report() });
    await dom.render(createElement(BackendNotice));
    expect(dom.host.querySelector('[data-testid="backend-choice"]')).not.toBeNull();
    await act(async () => (dom.host.querySelector('[data-testid="dismiss-backend-choice"]') as HTMLButtonElement).click());
    expect(dom.host.querySelector('[data-testid="backend-choice"]')).toBeNull();
    await act(async () => useRun.setState({ backend: report() }));
    expect(dom.host.querySelector('[data-testid="backend-choice"]')).not.toBeNull();
  });
});
