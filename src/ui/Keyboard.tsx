// Keyboard shortcuts (Space start/pause, → one step, r reset, ? the list of keys) and the
// overlay that lists them. Keys typed into a field stay in the field.
import { useEffect, useRef } from 'react';
import { create } from 'zustand';
import { actions } from '../store/controller';
import { useRun } from '../store/run';
import { commandFor, KEYS, type KeyTarget } from './keys';

/** Where the choice to turn the single-key shortcuts off is kept (this browser). */
export const SHORTCUTS_KEY = 'sparsecl.shortcuts';

function shortcutsOn(): boolean {
  try {
    return globalThis.localStorage?.getItem(SHORTCUTS_KEY) !== 'off';
  } catch {
    return true; // storage refused: the default
  }
}

/**
 * `enabled`: the single-key shortcuts can be turned off (WCAG 2.1.4: a speech-input user's
 * "r" in a sentence reset the run), in the list of keys; the choice is kept in this browser.
 */
export const useKeysOverlay = create<{ open: boolean; enabled: boolean }>(() => ({ open: false, enabled: shortcutsOn() }));
const setOverlay = (open: boolean) => useKeysOverlay.setState({ open });

export function setShortcutsEnabled(enabled: boolean): void {
  useKeysOverlay.setState({ enabled });
  try {
    globalThis.localStorage?.setItem(SHORTCUTS_KEY, enabled ? 'on' : 'off');
  } catch {
    /* not kept past this page: the choice still holds now */
  }
}

function targetOf(e: KeyboardEvent): KeyTarget | null {
  const t = e.target;
  if (!(t instanceof HTMLElement)) return null;
  return { tagName: t.tagName, isContentEditable: t.isContentEditable, disabled: (t as HTMLButtonElement).disabled, role: t.getAttribute('role'), scrolls: t.hasAttribute('data-scrolls') };
}

/** Listens on the window; renders the overlay while it is open. */
export function KeyboardShortcuts() {
  const open = useKeysOverlay((s) => s.open);
  // Space handled on keydown must not also press a focused (disabled) button on keyup.
  const swallowSpaceUp = useRef(false);
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      if (useKeysOverlay.getState().open) {
        if (e.key === 'Escape' || e.key === '?') {
          e.preventDefault();
          setOverlay(false);
        }
        return;
      }
      if (!useKeysOverlay.getState().enabled) return;
      const cmd = commandFor(e, targetOf(e), useRun.getState());
      if (!cmd) return;
      e.preventDefault();
      if (e.key === ' ') swallowSpaceUp.current = true;
      if (cmd === 'help') setOverlay(true);
      else actions[cmd]();
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === ' ' && swallowSpaceUp.current) {
        swallowSpaceUp.current = false;
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);
  return open ? <KeysOverlay /> : null;
}

function KeysOverlay() {
  const closeRef = useRef<HTMLButtonElement>(null);
  const toggleRef = useRef<HTMLInputElement>(null);
  const enabled = useKeysOverlay((s) => s.enabled);
  useEffect(() => {
    // Focus moves into the dialog, and back to where it was when it closes.
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div className="overlay-backdrop" onClick={() => setOverlay(false)}>
      <div
        className="overlay"
        role="dialog"
        aria-modal="true"
        aria-labelledby="keys-title"
        data-testid="keys-overlay"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          // Tab moves between the dialog's two controls (Close, the on/off toggle) while it is open.
          if (e.key === 'Tab') {
            e.preventDefault();
            (document.activeElement === closeRef.current ? toggleRef : closeRef).current?.focus();
          }
        }}
      >
        <div className="overlay-head">
          <h2 id="keys-title">Keyboard shortcuts</h2>
          <button ref={closeRef} className="btn btn-ghost btn-small" onClick={() => setOverlay(false)} aria-label="Close the list of keys">
            Close
          </button>
        </div>
        <table className="keys-table">
          <tbody>
            {KEYS.map((k) => (
              <tr key={k.what}>
                <td>
                  {k.keys.map((key) => (
                    <kbd key={key}>{key}</kbd>
                  ))}
                </td>
                <td>{k.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="small muted">Keys do nothing while you type in a field. Buttons show their key in their tooltip.</p>
        <label className="check-label" htmlFor="shortcuts-enabled">
          <input ref={toggleRef} type="checkbox" id="shortcuts-enabled" data-testid="shortcuts-enabled" checked={enabled} onChange={(e) => setShortcutsEnabled(e.target.checked)} />
          Single-key shortcuts on (turn them off if you use speech input, or type near the app: the Keys button still opens this list)
        </label>
      </div>
    </div>
  );
}

/** The top bar's button that opens the list of keys. */
export function KeysButton() {
  return (
    <button className="btn btn-ghost btn-small" data-testid="keys-button" onClick={() => setOverlay(true)} aria-keyshortcuts="?" title="Keyboard shortcuts (?)">
      <span aria-hidden="true">⌨</span> Keys
    </button>
  );
}
