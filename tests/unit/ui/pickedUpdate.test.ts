// The SyncCP slider keeps the update a person picked while new updates push old ones out.
import { describe, expect, it } from 'vitest';
import { pickedUpdateIndex } from '../../../src/ui/transforms/pickedUpdate';

const updates = (...steps: number[]) => steps.map((step) => ({ step }));

describe('pickedUpdateIndex', () => {
  it('follows the newest when nothing is picked', () => {
    expect(pickedUpdateIndex(updates(100, 200, 300), null)).toBe(2);
    expect(pickedUpdateIndex([], null)).toBe(-1);
  });

  it('keeps the picked update when the full history drops its oldest (the place shifts, the update does not)', () => {
    expect(pickedUpdateIndex(updates(288, 300, 312), 300)).toBe(1);
    // A new update at 324 pushed 288 out: the update at step 300 is now first.
    expect(pickedUpdateIndex(updates(300, 312, 324), 300)).toBe(0);
  });

  it('falls back to the newest once the picked update has been dropped', () => {
    expect(pickedUpdateIndex(updates(312, 324, 336), 300)).toBe(2);
  });
});
