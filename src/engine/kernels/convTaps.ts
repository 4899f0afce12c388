// The cpu conv loops (NHWC, no dilation) over one list of taps: every (output position,
// filter position) pair whose input position lies inside the image, in the order tfjs'
// loops visit them (oy, ox, fy, fx). Forward, input gradient and filter gradient walk
// the same taps per image, so the window arithmetic and padding checks live in one place.
// Per geometry the list is built once: 3 ints a tap (output pixel, input pixel, filter tap).
import type { ConvGeometry } from './cpuConv2D';

const cache = new Map<string, Int32Array>();

export function convTaps(g: ConvGeometry): Int32Array {
  const key = `${g.H},${g.W},${g.OH},${g.OW},${g.FH},${g.FW},${g.top},${g.left},${g.sh},${g.sw}`;
  let taps = cache.get(key);
  if (taps) return taps;
  const out: number[] = [];
  for (let oy = 0; oy < g.OH; oy++) {
    for (let ox = 0; ox < g.OW; ox++) {
      for (let fy = 0; fy < g.FH; fy++) {
        const iy = oy * g.sh + fy - g.top;
        if (iy < 0 || iy >= g.H) continue;
        for (let fx = 0; fx < g.FW; fx++) {
          const ix = ox * g.sw + fx - g.left;
          if (ix < 0 || ix >= g.W) continue;
          out.push(oy * g.OW + ox, iy * g.W + ix, fy * g.FW + fx);
        }
      }
    }
  }
  taps = Int32Array.from(out);
  if (cache.size > 64) cache.clear(); // a run has a handful of geometries
  cache.set(key, taps);
  return taps;
}

const pairCache = new Map<string, Int32Array>();

/**
 * The same taps as convTaps, paired: two horizontally adjacent output pixels under one filter
 * tap, 5 ints an entry (output pixel 1, input pixel 1, output pixel 2 or −1, input pixel 2,
 * filter tap). A loop over a weight row then applies each loaded weight (and its index) to
 * two pixels: one load of them per two multiplies.
 */
export function convTapPairs(g: ConvGeometry): Int32Array {
  const key = `${g.H},${g.W},${g.OH},${g.OW},${g.FH},${g.FW},${g.top},${g.left},${g.sh},${g.sw}`;
  let pairs = pairCache.get(key);
  if (pairs) return pairs;
  const out: number[] = [];
  for (let oy = 0; oy < g.OH; oy++) {
    for (let fy = 0; fy < g.FH; fy++) {
      const iy = oy * g.sh + fy - g.top;
      if (iy < 0 || iy >= g.H) continue;
      for (let fx = 0; fx < g.FW; fx++) {
        let pending = -1; // a valid output column waiting for its pair
        for (let ox = 0; ox < g.OW; ox++) {
          const ix = ox * g.sw + fx - g.left;
          if (ix < 0 || ix >= g.W) continue;
          if (pending < 0) { pending = ox; continue; }
          const px = pending * g.sw + fx - g.left;
          out.push(oy * g.OW + pending, iy * g.W + px, oy * g.OW + ox, iy * g.W + ix, fy * g.FW + fx);
          pending = -1;
        }
        if (pending >= 0) out.push(oy * g.OW + pending, iy * g.W + pending * g.sw + fx - g.left, -1, 0, fy * g.FW + fx);
      }
    }
  }
  pairs = Int32Array.from(out);
  if (pairCache.size > 64) pairCache.clear();
  pairCache.set(key, pairs);
  return pairs;
}

/** A buffer the loops index (typed arrays from any backend). */
type Buf = { [i: number]: number; readonly length: number };

/**
 * One of the three conv loops, chosen per tap (a branch per tap, not per multiply, and no
 * closure, which V8 deoptimised when several trainers interleaved):
 * - 'forward':    y[o, ·] += x[i, c]·w[t, c, ·], channels below `split` into y[…, 0:K] and
 *                 the rest into y[…, K:2K], y rows `outStride` wide; zero inputs skipped.
 * - 'inputGrad':  x[i, c] += Σ_k y[o, k]·w[t, c, k]   (x is dx, y is dy).
 * - 'filterGrad': w[t, c, ·] += x[i, c]·y[o, ·]      (w is dw, y is dy); zero inputs skipped.
 */
export function walkConv(mode: 'forward' | 'inputGrad' | 'filterGrad', x: Buf, y: Buf, w: Buf, g: ConvGeometry, split = g.C, outStride = g.K): void {
  const { B, H, W, C, OH, OW, K } = g;
  const taps = convTaps(g);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const yOff = (b * OH * OW + taps[t]) * (mode === 'forward' ? outStride : K);
      const xOff = (b * H * W + taps[t + 1]) * C;
      const wOff = taps[t + 2] * C * K;
      for (let c = 0; c < C; c++) {
        const row = wOff + c * K;
        if (mode === 'inputGrad') {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += y[yOff + k] * w[row + k];
          x[xOff + c] += acc;
          continue;
        }
        const xval = x[xOff + c];
        if (xval === 0) continue; // post-ReLU activations are often zero; adding 0 changes no sum
        if (mode === 'forward') {
          const base = c < split ? yOff : yOff + K;
          for (let k = 0; k < K; k++) y[base + k] += xval * w[row + k];
        } else {
          for (let k = 0; k < K; k++) w[row + k] += xval * y[yOff + k];
        }
      }
    }
  }
}
