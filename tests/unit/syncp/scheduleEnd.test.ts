// A schedule window that ends with the run (end 1, or within half a step of it) reaches its
// final value: steps are numbered 0…T − 1, so its last update is the run's last step.
// Counted in plain JS over the exported masks.
import { describe, expect, it } from 'vitest';
import { allMasks, run, syncp, tinyTrainer } from './helpers';

describe('a SyncCP schedule ending with the run', () => {
  it('a window that ends with the run (end 1) reaches the final density at the run\'s last step', async () => {
    // 20 steps (numbered 0…19), updates every 5: at 0, 5, 10, 15 and at the last step, 19.
    // Before, the end was step 20, which a run never trains: the last update (15) left the
    // online branch at 0.2 + 0.8·(1 − 15/20)³ = 0.2125 instead of 0.2.
    const t = tinyTrainer('syncp-unstructured', { syncp: { density: 0.2, gap: 0.3, schedule: { start: 0, end: 1, every: 0.25 } } }, 20);
    await run(t, 20);
    for (const m of await allMasks(t)) {
      const kept = (mask: ArrayLike<number>) => Array.from(mask).filter((v) => v > 0).length / mask.length;
      expect(kept(m.online)).toBeCloseTo(0.2, 2);
      expect(kept(m.target)).toBeCloseTo(0.5, 2);
    }
    t.dispose();
  });
});
