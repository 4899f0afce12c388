// @vitest-environment happy-dom
// The single-key shortcuts can be turned off (WCAG 2.1.4: a speech-input user's "r" reset
// the run), from the list of keys; the choice is kept in this browser. Found by an
// accessibility hunt.
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { domRoot } from './domRoot';

const actions = vi.hoisted(() => ({ start: vi.fn(), pause: vi.fn(), step: vi.fn(), reset: vi.fn() }));
vi.mock('../../../src/store/controller', () => ({ actions }));

const { KeyboardShortcuts, SHORTCUTS_KEY, setShortcutsEnabled, useKeysOverlay } = await import('../../../src/ui/Keyboard');
const { useRun } = await import('../../../src/store/run');

const press = (key: string) => act(() => void window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })));

describe('single-key shortcuts, on and off', () => {
  const dom = domRoot();
  beforeEach(() => {
    localStorage.clear();
    useRun.setState({ phase: 'idle', building: false, hasRun: true, worker: 'ready', pending: undefined, restoring: undefined, error: undefined });
    useKeysOverlay.setState({ open: false, enabled: true });
    for (const f of Object.values(actions)) f.mockClear();
  });
  afterEach(() => useKeysOverlay.setState({ open: false, enabled: true }));

  it('on: r resets and Space starts; off (from the list of keys): neither, nor ? — and the choice is kept', async () => {
    await dom.render(<KeyboardShortcuts />);
    await press('r');
    await press(' ');
    expect([actions.reset.mock.calls.length, actions.start.mock.calls.length]).toEqual([1, 1]);
    await press('?');
    const toggle = dom.host.querySelector<HTMLInputElement>('[data-testid="shortcuts-enabled"]')!;
    expect(toggle.checked).toBe(true);
    await act(() => toggle.click());
    expect(useKeysOverlay.getState().enabled).toBe(false);
    expect(localStorage.getItem(SHORTCUTS_KEY)).toBe('off');
    await press('Escape');
    expect(useKeysOverlay.getState().open).toBe(false);
    await press('r');
    await press(' ');
    await press('?');
    expect([actions.reset.mock.calls.length, actions.start.mock.calls.length]).toEqual([1, 1]);
    expect(useKeysOverlay.getState().open).toBe(false);
    setShortcutsEnabled(true);
    expect(localStorage.getItem(SHORTCUTS_KEY)).toBe('on');
    await press('r');
    expect(actions.reset.mock.calls.length).toBe(2);
  });
});
