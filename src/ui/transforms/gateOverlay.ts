// CDG probe view with a layer's spatial gate map laid over it. The gate map is h × w
// (the layer's output resolution), each value the fraction of the location's units that
// are open (0 or 1 for spatial gating). Each image pixel takes the gate of the map cell
// it falls in (nearest): open locations keep their colour with a yellow tint, closed
// ones are darkened, so "where computation is spent" reads as the bright part.
import { hexToRgb, OKABE_ITO } from './palette';

const TINT = hexToRgb(OKABE_ITO.yellow);

/** Map cell (row, col) under image pixel (y, x) of a size × size image. */
export function gateCellOf(y: number, x: number, size: number, h: number, w: number): [number, number] {
  return [Math.min(h - 1, Math.floor((y * h) / size)), Math.min(w - 1, Math.floor((x * w) / size))];
}

/**
 * RGBA of the view (size × size, RGBA bytes) with the gate map over it. `scale` ≥ 1
 * enlarges the output so map cell borders can be drawn crisply (scale × size square).
 */
export function gateOverlayRgba(view: ArrayLike<number>, size: number, gates: ArrayLike<number>, h: number, w: number, scale = 1): Uint8ClampedArray {
  const S = size * scale;
  const out = new Uint8ClampedArray(S * S * 4);
  for (let Y = 0; Y < S; Y++) {
    const y = Math.floor(Y / scale);
    for (let X = 0; X < S; X++) {
      const x = Math.floor(X / scale);
      const [gy, gx] = gateCellOf(y, x, size, h, w);
      const g = gates[gy * w + gx];
      const src = (y * size + x) * 4;
      const dst = (Y * S + X) * 4;
      for (let c = 0; c < 3; c++) {
        const v = view[src + c];
        const open = v * 0.75 + TINT[c] * 0.25;
        const closed = v * 0.22;
        out[dst + c] = g * open + (1 - g) * closed;
      }
      out[dst + 3] = 255;
    }
  }
  return out;
}
