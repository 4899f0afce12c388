// Scrubbing while a run trains: new snapshots arrive every few seconds and the timeline
// thins by age when full. The step being viewed stays viewed, or, when thinning
// dropped it, the nearest kept step before it: it never jumps back to live by itself.
import { beforeEach, describe, expect, it } from 'vitest';
import { clearTimeline, MAX_ENTRIES, pickUpdate, recordSnapshot, useTimeline } from '../../../src/store/timeline';
import type { Snapshot } from '../../../src/worker/protocol';

const snap = (step: number) => ({ step, samples: [], views: [], plugins: {}, flops: { layers: [], dense: 1, effective: 1 } }) as unknown as Snapshot;
const viewedStep = () => {
  const t = useTimeline.getState();
  return t.viewIndex === null ? null : t.entries[t.viewIndex].step;
};

describe('the viewed step while snapshots arrive', () => {
  beforeEach(() => clearTimeline());

  it('stays on the step viewed, or the nearest kept one before it, through every thinning', () => {
    // Look at each recorded step in turn, then let snapshots arrive past several thinnings.
    for (let pick = 0; pick < MAX_ENTRIES; pick++) {
      clearTimeline();
      for (let k = 0; k < MAX_ENTRIES; k++) recordSnapshot(snap(k * 10));
      useTimeline.setState({ viewIndex: pick });
      const wanted = useTimeline.getState().entries[pick].step;
      let shown = wanted;
      for (let k = MAX_ENTRIES; k < MAX_ENTRIES * 3; k++) {
        recordSnapshot(snap(k * 10));
        const now = viewedStep();
        expect(now, `viewing step ${wanted}, after the snapshot of step ${k * 10}`).not.toBeNull();
        // Never later than what was viewed, never earlier than it need be: the newest kept step ≤ it.
        expect(now!).toBeLessThanOrEqual(shown);
        expect(now).toBe(Math.max(...useTimeline.getState().entries.map((e) => e.step).filter((s) => s <= wanted)));
        shown = now!;
      }
    }
  });
});

describe('picking another prunable layer while scrubbed', () => {
  beforeEach(() => clearTimeline());

  it('goes live: the worker answers at the newest step, the only step that has the new layer', async () => {
    const { actions } = await import('../../../src/store/controller');
    for (let k = 0; k < 5; k++) recordSnapshot(snap(k * 10));
    actions.viewSnapshot(1);
    expect(viewedStep()).toBe(10);
    actions.selectLayer('s2.b0.conv1');
    expect(useTimeline.getState().viewIndex).toBeNull();
  });
});

describe('the SyncCP update picked on the mask slider', () => {
  it('survives new snapshots of the same run, and is forgotten by a new run (same layer names)', () => {
    clearTimeline();
    recordSnapshot(snap(50));
    pickUpdate(46);
    recordSnapshot(snap(60));
    expect(useTimeline.getState().pickedUpdate).toBe(46);
    // Reset, another preset, a settings change: the page clears the timeline for the new run.
    // The next run's first snapshot may come before the throttled panel renders the empty
    // state, so the pick must not live in the panel.
    clearTimeline();
    recordSnapshot(snap(0));
    expect(useTimeline.getState().pickedUpdate).toBeNull();
  });
});
