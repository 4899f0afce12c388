// @vitest-environment happy-dom
// The banner of a step that failed and was undone: which step, the run kept as it was after
// the one before, the cause, no Restart (the worker is fine). Its advice names only controls
// on screen: classroom mode hides Export, Import and the Backend select (a first-visit hunt).
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useRun } from '../../../src/store/run';
import { useSettings } from '../../../src/store/settings';
import { ErrorBanner } from '../../../src/ui/ErrorBanner';
import { domRoot } from './domRoot';

const dom = domRoot();
// The stores are shared with the files that run after this one in the same fork (isolate: false).
afterEach(() => {
  useSettings.setState({ classroom: false });
  useRun.setState({ error: undefined });
});

async function banner(classroom: boolean): Promise<HTMLElement> {
  useSettings.setState({ classroom });
  useRun.setState({ worker: 'ready', error: { kind: 'step-failed', step: 5, kept: 4, message: 'readback failed' } });
  await dom.render(createElement(ErrorBanner));
  return dom.host;
}

describe('the step-failed banner', () => {
  it('says the step, the kept step and the cause; offers Dismiss, not Restart', async () => {
    const h = await banner(false);
    expect(h.textContent).toContain('Step 5 failed and was undone. The run is as it was after step 4: Step or Start tries it again.');
    expect(h.textContent).toContain('What failed: readback failed');
    expect(h.textContent).toContain('export the run, pick another backend');
    expect(h.querySelector('[data-testid="restart"]')).toBeNull();
    expect(h.querySelector('[aria-label="dismiss"]')).not.toBeNull();
  });

  it('in classroom mode names no control it hides (Export, Import, the Backend select)', async () => {
    const h = await banner(true);
    // Names the way out of classroom mode first, then what is there.
    expect(h.textContent).not.toMatch(/export the run|pick another backend|Backend select/i);
    expect(h.textContent).toContain('press “Leave classroom mode”');
  });
});
