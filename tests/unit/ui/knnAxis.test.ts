// The kNN chart's y axis: fits the curve and its baselines with 10 points of headroom, on
// multiples of 10, never below 20 nor above 100 — hand-computed cases.
import { describe, expect, it } from 'vitest';
import { knnAxisTop } from '../../../src/ui/panels/KnnPanel';

describe('knnAxisTop', () => {
  it('rounds the highest value plus 10 up to a multiple of 10, within [20, 100]', () => {
    expect(knnAxisTop([17.2, 27.3, 10])).toBe(40); // 37.3 → 40
    expect(knnAxisTop([59.8, 17.2])).toBe(70); // 69.8 → 70
    expect(knnAxisTop([30])).toBe(40); // exactly 40 stays 40
    expect(knnAxisTop([2, 5])).toBe(20);
    expect(knnAxisTop([])).toBe(20);
    expect(knnAxisTop([95])).toBe(100);
    expect(knnAxisTop([12, Number.NaN, Infinity])).toBe(30); // non-finite values are ignored
  });
});
