// Which held mask update the SyncCP panel's slider shows. The pick is kept as the update's
// step, not its place in the list: the history keeps the last few updates, so once full each
// new update drops the oldest and every place would silently shift to a later update.

/** Index of the update at `pickedStep` in `list`; the newest when none is picked or it was dropped (-1 for an empty list). */
export function pickedUpdateIndex(list: readonly { step: number }[], pickedStep: number | null): number {
  const at = pickedStep === null ? -1 : list.findIndex((h) => h.step === pickedStep);
  return at >= 0 ? at : list.length - 1;
}
