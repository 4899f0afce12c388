// Keyboard shortcuts: the command of a key in each run state, and never while typing.
import { describe, expect, it } from 'vitest';
import { commandFor, isTyping, radioKeyMove, runButtons, type RunView } from '../../../src/ui/keys';

const idle: RunView = { phase: 'idle', building: false, hasRun: true, worker: 'ready', pending: undefined };
const running: RunView = { ...idle, phase: 'running' };
const body = { tagName: 'BODY' };

describe('keyboard shortcuts', () => {
  it('Space starts an idle run and pauses a running one', () => {
    expect(commandFor({ key: ' ' }, body, idle)).toBe('start');
    expect(commandFor({ key: ' ' }, body, running)).toBe('pause');
    // A Start sent and not yet answered: Space pauses, as the Pause button would.
    expect(commandFor({ key: ' ' }, body, { ...idle, pending: 'start' })).toBe('pause');
    // While a run builds, Start is queued (the button works then too).
    expect(commandFor({ key: ' ' }, body, { ...idle, building: true, hasRun: false })).toBe('start');
  });

  it('→ steps only when paused; r resets unless the worker crashed', () => {
    expect(commandFor({ key: 'ArrowRight' }, body, idle)).toBe('step');
    expect(commandFor({ key: 'ArrowRight' }, body, running)).toBeUndefined();
    expect(commandFor({ key: 'r' }, body, running)).toBe('reset');
    expect(commandFor({ key: 'R' }, body, idle)).toBe('reset');
    expect(commandFor({ key: 'r' }, body, { ...idle, worker: 'crashed' })).toBeUndefined();
    expect(commandFor({ key: ' ' }, body, { ...idle, phase: 'done' })).toBeUndefined();
  });

  it('after a divergence Start, Step and their keys wait for the banner (a lower rate, a reset): the same seeded step would diverge again', () => {
    const diverged: RunView = { ...idle, error: { kind: 'diverged', message: 'NaN loss', step: 41 } };
    expect(runButtons(diverged)).toMatchObject({ start: false, step: false, reset: true });
    expect(commandFor({ key: ' ' }, body, diverged)).toBeUndefined();
    expect(commandFor({ key: 'ArrowRight' }, body, diverged)).toBeUndefined();
    expect(commandFor({ key: 'r' }, body, diverged)).toBe('reset');
    // Another error (an export that failed) leaves the run as usable as before.
    expect(runButtons({ ...idle, error: { kind: 'export', message: 'quota' } })).toMatchObject({ start: true, step: true });
  });

  // Found by an accessibility hunt: Space on a focused scrolling heatmap started the run
  // instead of scrolling the box.
  it('Space in a focused scroll box scrolls it: no shortcut', () => {
    expect(commandFor({ key: ' ' }, { tagName: 'DIV', role: 'region', scrolls: true }, idle)).toBeUndefined();
    expect(commandFor({ key: ' ' }, { tagName: 'DIV', role: 'region' }, idle)).toBe('start');
    expect(commandFor({ key: 'ArrowRight' }, { tagName: 'DIV', scrolls: true }, idle)).toBe('step');
  });

  it('? opens the list of keys', () => {
    expect(commandFor({ key: '?' }, body, running)).toBe('help');
  });

  it('does nothing while typing in a field, or with a modifier (Ctrl+R reloads)', () => {
    for (const tagName of ['INPUT', 'SELECT', 'TEXTAREA']) {
      expect(isTyping({ tagName })).toBe(true);
      for (const key of [' ', 'ArrowRight', 'r', '?']) expect(commandFor({ key }, { tagName }, idle)).toBeUndefined();
    }
    expect(commandFor({ key: 'r' }, { tagName: 'DIV', isContentEditable: true }, idle)).toBeUndefined();
    expect(commandFor({ key: 'r', ctrlKey: true }, body, idle)).toBeUndefined();
    expect(commandFor({ key: 'r', metaKey: true }, body, idle)).toBeUndefined();
    expect(commandFor({ key: 'ArrowRight', repeat: true }, body, idle)).toBeUndefined();
  });

  it('leaves Space to a focused usable button, but not to a disabled one', () => {
    expect(commandFor({ key: ' ' }, { tagName: 'BUTTON' }, idle)).toBeUndefined();
    expect(commandFor({ key: ' ' }, { tagName: 'BUTTON', disabled: true }, running)).toBe('pause');
    expect(commandFor({ key: 'ArrowRight' }, { tagName: 'BUTTON' }, idle)).toBe('step');
  });

  it('matches the buttons’ rules', () => {
    expect(runButtons(idle)).toEqual({ start: true, pause: false, step: true, reset: true });
    expect(runButtons(running)).toEqual({ start: false, pause: true, step: false, reset: true });
    expect(runButtons({ ...idle, worker: 'crashed' })).toEqual({ start: false, pause: false, step: false, reset: false });
    // While a resume or import is on its way (building the run it brings) nothing may train:
    // a refused restore leaves the old run live, and a queued step would autosave it over the saved one.
    for (const kind of ['autosave', 'import'] as const) {
      expect(runButtons({ ...idle, building: true, restoring: { kind, name: 'x' } })).toEqual({ start: false, pause: false, step: false, reset: false });
    }
  });
});

describe('radio groups and the arrow keys', () => {
  it('→ on a radio or a tab moves the choice, not training', () => {
    const paused: RunView = { phase: 'idle', building: false, hasRun: true, worker: 'ready', pending: undefined };
    expect(commandFor({ key: 'ArrowRight' }, { tagName: 'BUTTON', role: 'radio' }, paused)).toBeUndefined();
    expect(commandFor({ key: 'ArrowRight' }, { tagName: 'BUTTON', role: 'tab' }, paused)).toBeUndefined();
    expect(commandFor({ key: 'ArrowRight' }, { tagName: 'BUTTON' }, paused)).toBe('step');
  });
  it('arrows move through the options and wrap; other keys do nothing', () => {
    const o = ['online', 'target'] as const;
    expect(radioKeyMove('ArrowRight', o, 'online')).toBe('target');
    expect(radioKeyMove('ArrowDown', o, 'target')).toBe('online');
    expect(radioKeyMove('ArrowLeft', o, 'online')).toBe('target');
    expect(radioKeyMove('ArrowUp', ['a', 'b', 'c'], 'b')).toBe('a');
    expect(radioKeyMove('Enter', o, 'online')).toBeUndefined();
  });
});
