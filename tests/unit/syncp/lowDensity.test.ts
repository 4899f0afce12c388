// A density above 0 but below half a channel (or weight) of a layer: round(d·n) is 0 in
// every prunable layer, which would prune the network to zeros (zero features, NaN from
// their normalisation). Each layer keeps at least one: the run trains, finite.
import { describe, expect, it } from 'vitest';
import { allMasks, channelsOf, count, syncp, tinyTrainer } from './helpers';

describe('SyncCP at a density below one channel a layer', () => {
  it.each([
    // Widths [8, 16]: 0.03 · 16 = 0.48 channels, round → 0 in every layer.
    ['syncp-channel', { density: 0.03, gap: 0.01 }],
    // 0.0004 · 576 (the smallest 3×3×8×8 conv) = 0.23 weights.
    ['syncp-unstructured', { density: 0.0004, gap: 0.0001 }],
  ])('%s %j: every layer keeps ≥ 1 and the steps stay finite', async (preset, syncpSettings) => {
    const t = tinyTrainer(preset, { syncp: { ...syncpSettings, schedule: { start: 0, end: 0.5, every: 0.25 } } }, 8);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await t.trainStep()).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    for (const m of await allMasks(t)) {
      expect(count(m.online), m.name).toBeGreaterThanOrEqual(1);
      if (preset === 'syncp-channel') expect(channelsOf(m.online, m.shape).reduce((a, b) => a + b, 0), m.name).toBe(1);
    }
    t.dispose();
  });
});
