// Transparent own images: straight-alpha RGBA over an opaque background, by hand.
import { describe, expect, it } from 'vitest';
import { IMAGE_BACKGROUND, rgbOver } from '../../../src/engine/data/rgbOver';

describe('rgbOver', () => {
  it('opaque pixels keep their colour, transparent ones show the background, half-transparent ones blend', () => {
    const rgba = new Uint8ClampedArray([
      10, 20, 30, 255, // opaque: itself
      0, 0, 0, 0, // transparent (a canvas stores it black): the background
      255, 0, 0, 128, // half red over white: 255·128/255 + 255·127/255 = 255; 0 + 127 = 127
      200, 100, 50, 51, // a fifth over grey 100: (200·51 + 100·204)/255 = 120, (100·51 + 100·204)/255 = 100, (50·51 + 100·204)/255 = 90
    ]);
    expect(Array.from(rgbOver(rgba.subarray(0, 12)))).toEqual([10, 20, 30, 255, 255, 255, 255, 127, 127]);
    expect(Array.from(rgbOver(rgba.subarray(12), [100, 100, 100]))).toEqual([120, 100, 90]);
    expect(IMAGE_BACKGROUND).toEqual([255, 255, 255]);
  });

  it('over random pixels: each channel lies between the colour and the background, at alpha/255 of the way', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const rgba = new Uint8ClampedArray(4 * 500).map(() => Math.floor(rand() * 256));
    const bg = [30, 140, 250] as const;
    const rgb = rgbOver(rgba, bg);
    expect(rgb.length).toBe(1500);
    for (let i = 0; i < 500; i++) {
      const a = rgba[i * 4 + 3] / 255;
      for (let c = 0; c < 3; c++) {
        const want = a * rgba[i * 4 + c] + (1 - a) * bg[c];
        expect(Math.abs(rgb[i * 3 + c] - want)).toBeLessThanOrEqual(0.5 + 1e-9);
      }
    }
  });
});
