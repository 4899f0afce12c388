// The one default side for own images, used by the page (load), the worker (train) and the CLI (kernel bench).
import { describe, expect, it } from 'vitest';
import { imageSideOrDefault } from '../../../src/engine/data/imageSide';

describe('imageSideOrDefault', () => {
  it('0 or no size means 32 px (the side of a CIFAR-10 record: 3072 bytes = 3 × 32 × 32)', () => {
    expect(imageSideOrDefault(0)).toBe(32);
    expect(imageSideOrDefault(undefined)).toBe(32);
    expect(imageSideOrDefault()).toBe(32);
  });

  it('an explicit size is kept as it is', () => {
    expect([8, 16, 28, 64].map((s) => imageSideOrDefault(s))).toEqual([8, 16, 28, 64]);
  });
});
