// @vitest-environment happy-dom
// A panel that throws while it renders shows why in its own place, and the rest of the page
// stays (React unmounts everything below the nearest boundary; without one, the page). Found
// by the run-control hunt: a crafted run.zip's snapshot blanked the page.
import { act, createElement } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { useRun } from '../../../src/store/run';
import { clearTimeline, recordSnapshot } from '../../../src/store/timeline';
import { PanelGuard } from '../../../src/ui/panels/PanelGuard';
import { SparsitySlot } from '../../../src/ui/SparsitySlot';
import type { Snapshot } from '../../../src/worker/protocol';
import { domRoot } from './domRoot';

const dom = domRoot();
const mount = dom.render;

beforeEach(() => {
  // React reports a caught render error on the console: expected here.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  useRun.setState({ step: 0 });
  clearTimeline();
});
afterEach(() => vi.restoreAllMocks());

function Fragile() {
  const step = useRun((s) => s.step);
  if (step === 1) throw new Error('no views in this snapshot');
  return createElement('p', { 'data-testid': 'fine' }, `step ${step}`);
}

describe('PanelGuard', () => {
  it('shows the panel’s failure in its place, keeps its siblings, and draws again at the next step', async () => {
    await mount(createElement('div', null, createElement(PanelGuard, { title: 'Data and views' }, createElement(Fragile)), createElement('p', { id: 'sibling' }, 'the other panels')));
    expect(dom.host.querySelector('[data-testid="fine"]')?.textContent).toBe('step 0');
    await act(() => useRun.setState({ step: 1 }));
    const failed = dom.host.querySelector('[data-testid="panel-failed"]');
    expect(failed?.getAttribute('aria-label')).toBe('Data and views');
    expect(failed?.textContent).toContain('could not draw what it was given (no views in this snapshot)');
    expect(dom.host.querySelector('#sibling')?.textContent).toBe('the other panels');
    await act(() => useRun.setState({ step: 2 }));
    expect(dom.host.querySelector('[data-testid="panel-failed"]')).toBeNull();
    expect(dom.host.querySelector('[data-testid="fine"]')?.textContent).toBe('step 2');
  });

  it('a SyncCP snapshot the panel cannot read takes down that panel only, not the sparsity column', async () => {
    useRun.setState({ config: buildConfig({ preset: 'syncp-unstructured', tiny: true }) });
    recordSnapshot({ step: 3, samples: [], views: [], plugins: { syncp: { kind: 'syncp', layers: 7, selected: { name: 'x', history: [] } } } } as unknown as Snapshot);
    await mount(createElement(SparsitySlot));
    const failed = [...dom.host.querySelectorAll('[data-testid="panel-failed"]')].map((e) => e.getAttribute('aria-label'));
    expect(failed).toContain('SyncCP mask evolution');
    // The schedule and the CDG panel still draw.
    expect(dom.host.querySelector('[data-testid="schedule-preview"]')).not.toBeNull();
    expect(dom.host.querySelector('[data-testid="panel-cdg"]')).not.toBeNull();
  });
});
