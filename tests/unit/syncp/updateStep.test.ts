// The step a mask update is labelled with (panels: "masks from the update at step N", the
// churn and nestedness charts, the update slider) is the row whose density first shows it:
// the first step trained with the new masks, numbered as every chart numbers steps.
import { describe, expect, it } from 'vitest';
import { syncp, tinyTrainer } from './helpers';

describe('SyncCP update steps', () => {
  it('each update is labelled with the row where the online density changes', async () => {
    const t = tinyTrainer('syncp-unstructured', {}, 40);
    const p = syncp(t);
    let prev: number | undefined;
    const changedAt: number[] = [];
    const labelled = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const r = await t.trainStep();
      const row = t.row(r) as { step: number; density?: Record<string, { online: number }> };
      const d = row.density?.['s1.b0.conv1']?.online;
      if (prev !== undefined && d !== undefined && d !== prev) changedAt.push(row.step);
      prev = d;
      if (p.lastUpdateStep !== null) labelled.add(p.lastUpdateStep);
      expect(p.updateSummary().step).toBe(p.lastUpdateStep);
    }
    t.dispose();
    expect(changedAt.length).toBeGreaterThan(2);
    // Every density change is at a labelled update step (the first update may keep a layer's density: it starts dense).
    for (const s of changedAt) expect(labelled, `density changed in row ${s}`).toContain(s);
  });
});
