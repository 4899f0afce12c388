// Recorded snapshots for the sparsity panels and the timeline scrubber, and the panels'
// own selections. Memory is bounded: at most MAX_ENTRIES snapshots (older ones thinned
// by pushDecimated), and the SyncCP per-update mask history is kept for the newest
// snapshot only.
import { create } from 'zustand';
import type { SyncCPHistoryEntry } from '../engine/viz/maskPanel';
import { thinByAge } from '../engine/thinning';
import { pushDecimated } from '../ui/transforms/timeline';
import type { MaskUpdate, Snapshot } from '../worker/protocol';

export const MAX_ENTRIES = 48;
/** Mask updates kept for the churn / nestedness / N:M charts (older ones thinned). */
export const MAX_UPDATES = 400;

export interface TimelineState {
  entries: Snapshot[];
  /** Index into entries being viewed; null = follow the newest. */
  viewIndex: number | null;
  /** SyncCP mask history of the selected layer (from the newest snapshot), oldest first. */
  maskHistory: SyncCPHistoryEntry[];
  /** SyncCP mask updates as they happened (from progress rows). */
  updates: MaskUpdate[];
  /** Layer shown in the CDG gate maps (UI only; all layers' maps are in every snapshot). */
  cdgLayer?: string;
  /**
   * The SyncCP update picked on the mask slider (its step; null: follow the newest). Kept
   * here, not in the panel, so that a new run clears it: the panel reads the timeline
   * throttled and may never see the cleared state between two runs, whose layer names match.
   */
  pickedUpdate: number | null;
}

export const useTimeline = create<TimelineState>(() => ({ entries: [], viewIndex: null, maskHistory: [], updates: [], pickedUpdate: null }));

/** Drop the per-update history from a snapshot before storing it (it is kept once, in maskHistory). */
function slim(s: Snapshot): Snapshot {
  const sp = s.plugins.syncp;
  if (!sp) return s;
  return { ...s, plugins: { ...s.plugins, syncp: { ...sp, selected: { ...sp.selected, history: [] } } } };
}

/** Index of the newest entry at or before `step` (-1: none). */
function atOrBefore(entries: Snapshot[], step: number): number {
  let i = entries.length - 1;
  while (i >= 0 && entries[i].step > step) i--;
  return i;
}

/**
 * The view after a divergence rolled the run back to `kept`: the viewed step, or the nearest
 * kept one before it; live when that is the newest kept entry, which is what live shows (an
 * index on the newest entry is a view the charts take for live and the timeline bar for
 * scrubbing).
 */
export function rewindTimeline(kept: number): void {
  useTimeline.setState((t) => {
    const viewed = t.viewIndex === null ? null : t.entries[t.viewIndex];
    const entries = t.entries.filter((e) => e.step <= kept);
    const i = viewed ? atOrBefore(entries, viewed.step) : -1;
    const viewIndex = i >= 0 && i < entries.length - 1 ? i : null;
    return { entries, updates: t.updates.filter((u) => u.step <= kept), maskHistory: t.maskHistory.filter((h) => h.step <= kept), viewIndex };
  });
}

export function recordSnapshot(s: Snapshot): void {
  useTimeline.setState((t) => {
    const sp = s.plugins.syncp;
    const viewed = t.viewIndex === null ? null : t.entries[t.viewIndex];
    const entries = pushDecimated(t.entries, slim(s), MAX_ENTRIES);
    // Keep looking at the same step while scrubbing (its index may move after decimation);
    // if thinning dropped it, at the nearest kept step before it — never back to live unasked.
    let viewIndex: number | null = null;
    if (viewed) {
      const i = atOrBefore(entries, viewed.step);
      viewIndex = i >= 0 ? i : null; // none: a reset replaced the steps viewed (thinning keeps the first)
    }
    return { entries, viewIndex, maskHistory: sp ? sp.selected.history : t.maskHistory };
  });
}

export function recordUpdates(us: MaskUpdate[]): void {
  if (!us.length) return;
  useTimeline.setState((t) => ({ updates: thinByAge([...t.updates, ...us], MAX_UPDATES, (u) => u.step) }));
}

export function clearTimeline(): void {
  useTimeline.setState({ entries: [], viewIndex: null, maskHistory: [], updates: [], pickedUpdate: null });
}

/** Show the SyncCP masks of the update at `step` (null: the newest, as they come). */
export function pickUpdate(step: number | null): void {
  useTimeline.setState({ pickedUpdate: step });
}

// Stable selectors for useThrottledSelector.
export const selectUpdates = (t: TimelineState): MaskUpdate[] => t.updates;
/** The snapshot every panel shows: the scrubbed one, or the newest. */
export const selectViewed = (t: TimelineState): Snapshot | undefined => (t.viewIndex === null ? t.entries[t.entries.length - 1] : t.entries[t.viewIndex]);
/** True while scrubbing (not following the newest snapshot). */
export const selectScrubbing = (t: TimelineState): boolean => t.viewIndex !== null && t.viewIndex < t.entries.length - 1;
export const selectMaskHistory = (t: TimelineState): SyncCPHistoryEntry[] => t.maskHistory;
export const selectCdgLayer = (t: TimelineState): string | undefined => t.cdgLayer;
/** Layer of the SyncCP mask history (the newest snapshot's selected layer). */
export const selectHistoryLayer = (t: TimelineState): string | undefined => t.entries[t.entries.length - 1]?.plugins.syncp?.selected.name;
