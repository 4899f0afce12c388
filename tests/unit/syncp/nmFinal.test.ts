// The N:M ramp's final fraction (syncp.nmFinal, a settings-table row): the reference code
// ends its ramp with 0.99 of the groups N:M, the playground with all of them by default.
// Counted in plain JS over the exported masks against the hand formula round(f · groups).
import { describe, expect, it } from 'vitest';
import { scheduleOf } from '../../../src/engine/sparsity/scheduleOf';
import { allMasks, groupCounts, run, syncp, tinyTrainer } from './helpers';

describe('syncp.nmFinal', () => {
  it.each([1, 0.9])('ends with round(%s · full groups) groups 2:4 online, the target that minus the gap', async (nmFinal) => {
    const t = tinyTrainer('syncp-2of4', { syncp: { granularity: 'nm', n: 2, m: 4, gap: 0.3, nmFinal, schedule: { start: 0.1, end: 0.5, every: 0.1 } } }, 20);
    expect(scheduleOf(t.config).syncp!.at(20)).toEqual({ online: nmFinal, target: Math.max(0, nmFinal - 0.3) });
    await run(t, 20);
    for (const m of await allMasks(t)) {
      const online = groupCounts(m.online, m.shape, 4);
      const target = groupCounts(m.target, m.shape, 4);
      const groups = online.length;
      expect(online.filter((k) => k === 2).length).toBe(Math.round(nmFinal * groups));
      expect(online.filter((k) => k !== 2 && k !== 4)).toEqual([]);
      expect(target.filter((k) => k === 2).length).toBe(Math.round((nmFinal - 0.3) * groups));
    }
    t.dispose();
  });
});
