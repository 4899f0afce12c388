// Keyboard shortcuts, as pure logic: which run buttons are usable in a run state (the
// buttons and the keys share it), and which command a key press means. Keyboard.tsx
// wires it to the window; tests/unit/ui/keys.test.ts checks it.
import type { RunState } from '../store/run';

export type RunView = Pick<RunState, 'phase' | 'building' | 'hasRun' | 'worker' | 'pending' | 'restoring'> & Partial<Pick<RunState, 'error'>>;

/** Which run buttons can be pressed now (commands queue in the worker behind a build). */
export function runButtons(s: RunView): { start: boolean; pause: boolean; step: boolean; reset: boolean } {
  const reachable = s.worker !== 'crashed' && (s.hasRun || s.building);
  const shown = s.building ? 'idle' : s.phase;
  // Not while a resume or an import is on its way either: if the worker refuses it, the run
  // that was live carries on, and a step queued behind it would train that run and autosave
  // it over the saved run being resumed.
  const idle = reachable && shown === 'idle' && !s.pending && !s.restoring;
  // After a divergence the run is as it was before the step that diverged, and batches are
  // seeded: Start or Step would only diverge again. The banner's actions (a lower rate, a
  // reset) go on; dismissing it offers them again.
  const diverged = s.error?.kind === 'diverged';
  return {
    start: idle && !diverged,
    pause: reachable && s.pending !== 'pause' && (shown === 'running' || s.pending === 'start'),
    step: idle && !diverged,
    // Not while a resume or an import is on its way: the worker would reset the run it brings, which the page never showed.
    reset: s.worker !== 'crashed' && !s.restoring,
  };
}

export type KeyCommand = 'start' | 'pause' | 'step' | 'reset' | 'help';

/** The keys, as the overlay lists them. */
export const KEYS: readonly { keys: string[]; what: string }[] = [
  { keys: ['Space'], what: 'Start training, or pause it' },
  { keys: ['→'], what: 'One training step (when paused)' },
  { keys: ['r'], what: 'Reset: back to step 0 with fresh weights from the seed' },
  { keys: ['?'], what: 'Show or hide this list' },
  { keys: ['Esc'], what: 'Close this list' },
];

/** Where a key press goes to the element, not to the shortcuts. */
export interface KeyTarget {
  tagName?: string;
  isContentEditable?: boolean;
  disabled?: boolean;
  role?: string | null;
  /** A focused scroll box (data-scrolls): Space scrolls it, as the browser does. */
  scrolls?: boolean;
}

const CONTROL_ROLES = ['button', 'radio', 'checkbox', 'switch', 'tab', 'menuitem', 'slider', 'spinbutton', 'textbox', 'combobox', 'listbox', 'option'];

/** Typing in a field: no shortcut at all. */
export function isTyping(t: KeyTarget | null | undefined): boolean {
  if (!t) return false;
  const tag = (t.tagName ?? '').toUpperCase();
  return tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || Boolean(t.isContentEditable) || ['textbox', 'combobox', 'listbox', 'slider', 'spinbutton'].includes(t.role ?? '');
}

/** A focused, usable button (or button-like control) does its own thing with Space. */
function pressesOnSpace(t: KeyTarget | null | undefined): boolean {
  if (t?.scrolls) return true;
  if (!t || t.disabled) return false;
  const tag = (t.tagName ?? '').toUpperCase();
  return tag === 'BUTTON' || tag === 'SUMMARY' || tag === 'A' || CONTROL_ROLES.includes(t.role ?? '');
}

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  repeat?: boolean;
}

/** The command of a key press in this run state, or undefined (the key is left alone). */
export function commandFor(e: KeyPress, target: KeyTarget | null | undefined, run: RunView): KeyCommand | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(target)) return undefined;
  if (e.key === '?') return 'help';
  if (e.repeat) return undefined;
  const b = runButtons(run);
  switch (e.key) {
    case ' ':
    case 'Spacebar':
      if (pressesOnSpace(target)) return undefined;
      return b.pause ? 'pause' : b.start ? 'start' : undefined;
    case 'ArrowRight':
      // In a radio group or a tab list the arrows move the choice (the ARIA pattern): not a step.
      if (['radio', 'tab'].includes(target?.role ?? '')) return undefined;
      return b.step ? 'step' : undefined;
    case 'r':
    case 'R':
      return b.reset ? 'reset' : undefined;
    default:
      return undefined;
  }
}

/** The choice an arrow key moves a radio group to (wrapping, as the ARIA pattern does), or undefined for other keys. */
export function radioKeyMove<T>(key: string, options: readonly T[], current: T): T | undefined {
  const step = key === 'ArrowRight' || key === 'ArrowDown' ? 1 : key === 'ArrowLeft' || key === 'ArrowUp' ? -1 : 0;
  if (step === 0 || options.length === 0) return undefined;
  const i = options.indexOf(current);
  return options[(((i < 0 ? 0 : i) + step) % options.length + options.length) % options.length];
}
