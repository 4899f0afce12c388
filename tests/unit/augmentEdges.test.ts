// A crop that reaches the image's edge must read the edge pixel, never the black that
// cropAndResize returns past it. On wasm (float32, as WebGL and WebGPU) a crop end clamped
// exactly onto the outermost pixel centre landed past it in ~0.2–0.4 % of views: a black row
// or column. An all-white image shows it: no pixel of any view may be darker than the
// darkest the colour jitter can make (brightness and contrast only scale a constant image).
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { augmentBatch, defaultAugment } from '../../src/engine/augment';
import { initWasmBackend } from '../../src/engine/kernels/wasmKernels';

describe('crops at the image edge on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('never blacken a row or column of a view (16 and 28 px, as the trainer crops its resized copy; 4000 views each)', async () => {
    const r = await initWasmBackend();
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    // Colour jitter off: the views of a white image are then exactly white wherever the crop reads pixels.
    const cfg = { ...defaultAugment, jitterProb: 0 };
    // Without the fix: 30 of 10 000 views at 16 px had a black row or column.
    for (const side of [16, 28]) {
      const white = tf.ones([200, side, side, 1]) as tf.Tensor4D;
      let dark = 0;
      for (let seed = 1; seed <= 20; seed++) {
        const v = augmentBatch(white, seed, cfg, side);
        const min = tf.tidy(() => tf.min(v, [1, 2, 3]));
        dark += Array.from(await min.data()).filter((m) => m < 0.5).length;
        tf.dispose([v, min]);
      }
      white.dispose();
      expect(dark, `${side} px: views with a black row or column`).toBe(0);
    }
  }, 120_000);
});
