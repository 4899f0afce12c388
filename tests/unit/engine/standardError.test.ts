// The noise of a kNN figure: the binomial standard error by hand, and the default sizes
// (and the CLIs' --tiny) hold enough held-out images for ≤ 1.5 points at any accuracy.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { accuracyStandardError, testImagesForStandardError } from '../../../src/engine/eval/standardError';

describe('kNN standard error', () => {
  it('√(p(1−p)/n) by hand', () => {
    expect(accuracyStandardError(0.5, 1200)).toBeCloseTo(0.0144338, 6); // √(0.25/1200)
    expect(accuracyStandardError(0.9, 100)).toBeCloseTo(0.03, 12); // √(0.09/100)
    expect(testImagesForStandardError(0.015)).toBe(1112); // ⌈0.25/0.000225⌉ = ⌈1111.1⌉
  });

  it('every preset, default and the CLIs\' --tiny, measures kNN on ≥ 1112 held-out images', () => {
    for (const preset of ['simclr-dense', 'byol-dense', 'cdg', 'syncp-unstructured', 'syncp-channel', 'syncp-2of4']) {
      for (const tiny of [false, true]) {
        const c = buildConfig({ preset, tiny, measured: true });
        expect(c.data.testCount).toBeGreaterThanOrEqual(1112);
        expect(accuracyStandardError(0.5, c.data.testCount)).toBeLessThanOrEqual(0.015);
      }
    }
  });
});
