// One plan for engine and panels: the preview of a CDG+SyncCP run draws each method on its
// own window, and the planned N:M density counts the dense tail channels the engine keeps.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { scheduleOf } from '../../../src/engine/sparsity/scheduleOf';
import { nmPlannedDensity, schedulePoints } from '../../../src/ui/transforms/schedulePoints';

describe('scheduleOf and the panels', () => {
  it('CDG on SyncCP: each method keeps its own window (by hand: 100 steps)', () => {
    const c = buildConfig({ preset: 'syncp-unstructured', overrides: { steps: 100, cdg: { density: 0.4 } } });
    expect(scheduleOf(c).syncp!.window).toEqual({ start: 10, end: 70, every: 5 });
    expect(scheduleOf(c).cdg!.window).toEqual({ start: 5, end: 50, every: 5 });
    expect(schedulePoints(c, 200, 'cdg')!.window).toEqual({ start: 5, end: 50, every: 5 });
    expect(schedulePoints(c)!.kind).toBe('density');
    expect(schedulePoints(c, 200, 'cdg')!.points.at(-1)!.online).toBeCloseTo(0.4, 12);
  });

  it('planned N:M density: a [3,3,6,8] kernel has one full group of 4 and a dense tail of 2 (2:4 at p = 1 → 2/3, not 1/2)', () => {
    expect(nmPlannedDensity(1, 2, 4, [[3, 3, 6, 8]])).toBeCloseTo(2 / 3, 12);
    expect(nmPlannedDensity(1, 2, 4)).toBe(0.5);
    // Two layers weigh by size: [3,3,8,8] (no tail) → 0.5 on 576, [3,3,6,8] → 2/3 on 432.
    expect(nmPlannedDensity(1, 2, 4, [[3, 3, 8, 8], [3, 3, 6, 8]])).toBeCloseTo((0.5 * 576 + (2 / 3) * 432) / 1008, 12);
  });
});
