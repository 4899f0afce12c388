// A control that removes itself (a notice's Dismiss, a saved run's Resume, a pinned run's ×)
// took the keyboard focus with it to the page body, and a screen reader lost its place: focus
// goes first to a control that stays.

/** The run's buttons, in the order focus tries them (a disabled button takes no focus). */
const RUN_BUTTONS = ['start', 'pause', 'step', 'reset'];

/** `action` with focus moved first to the first usable of `ids` (by data-testid), then the run's buttons. */
export function keepFocus(action: () => void, ids: readonly string[] = []): () => void {
  return () => {
    for (const id of [...ids, ...RUN_BUTTONS]) {
      const el = document.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`);
      if (el && !el.disabled) {
        el.focus();
        break;
      }
    }
    action();
  };
}
