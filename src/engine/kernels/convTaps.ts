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
export type Buf = { [i: number]: number; readonly length: number };

/**
 * What part of a conv the blocked loops compute (CDG's gated conv, hostConvRange.ts): input
 * channels [c0, c1), and with a gate only the output units that are open. Output channels
 * form G groups of K / G; unit (pixel p, group q) is open when gate[gateOffset + p·G + q] ≠ 0.
 */
export interface ConvPart { c0: number; c1: number; gate: Float32Array | null; gateOffset: number; G: number }

/** The whole conv: every input channel, no gate. */
export const ALL = (g: ConvGeometry): ConvPart => ({ c0: 0, c1: g.C, gate: null, gateOffset: 0, G: 1 });

/**
 * One of the three conv loops (the blocked ones below where their shapes allow, else one
 * loop over taps with a branch per tap, not per multiply, and no closure, which V8
 * deoptimised when several trainers interleaved):
 * - 'forward':    y[o, ·] += x[i, c]·w[t, c, ·], channels below `split` into y[…, 0:K] and
 *                 the rest into y[…, K:2K], y rows `outStride` wide; zero inputs skipped.
 * - 'inputGrad':  x[i, c] += Σ_k y[o, k]·w[t, c, k]   (x is dx, y is dy).
 * - 'filterGrad': w[t, c, ·] += x[i, c]·y[o, ·]      (w is dw, y is dy); zero inputs skipped.
 */
export function walkConv(mode: 'forward' | 'inputGrad' | 'filterGrad', x: Buf, y: Buf, w: Buf, g: ConvGeometry, split = g.C, outStride = g.K): void {
  if (mode === 'forward' && g.K % 4 === 0) {
    forwardBlocked(x, y, w, g, split, outStride, ALL(g));
    return;
  }
  if (mode === 'inputGrad') {
    inputGradBlocked(x, y, w, g, ALL(g));
    return;
  }
  // With few input channels (the stem's 3) and blocks of 4 outputs the per-tap loop is
  // faster (the blocked one re-reads x once per block: 2.6 against 3.1 ms a call); with
  // blocks of 8 the blocked one wins there too ([32, 16, 16, 3] → 8: 3.0 against 5.7 ms).
  if (mode === 'filterGrad' && (g.K % 8 === 0 || (g.K % 4 === 0 && g.C >= 8))) {
    filterGradBlocked(x, y, w, g, ALL(g));
    return;
  }
  const { B, H, W, C, OH, OW, K } = g;
  const taps = convTaps(g);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const yOff = (b * OH * OW + taps[t]) * (mode === 'forward' ? outStride : K);
      const xOff = (b * H * W + taps[t + 1]) * C;
      const wOff = taps[t + 2] * C * K;
      for (let c = 0; c < C; c++) {
        const row = wOff + c * K;
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

/**
 * walkConv's forward for K / G a multiple of 4, the same sums in the same order: per output
 * pixel and block of 4 output channels, its taps accumulate in locals (rounded to float32
 * after every add, as a store into y would), and y is read and written once. The per-tap
 * loop loaded and stored each y row for every (tap, input channel): 1.5–2.6× slower at the
 * default size's layers. Taps of one output pixel are consecutive in convTaps. Input
 * channels [part.c0, split) go to y[…, 0:K], [split, part.c1) to y[…, K:2K] (CDG's dual
 * conv); a block of a closed unit is skipped (y keeps what it held).
 */
function forward4(x: Buf, y: Buf, w: Buf, g: ConvGeometry, split: number, outStride: number, part: ConvPart): void {
  const { B, H, W, C, OH, OW, K } = g;
  const { c0, c1, gate, gateOffset, G } = part;
  const per = K / G;
  const taps = convTaps(g);
  const CK = C * K;
  const two = split < c1;
  for (let b = 0; b < B; b++) {
    const xImage = b * H * W;
    let t0 = 0;
    while (t0 < taps.length) {
      const o = taps[t0];
      let t1 = t0;
      while (t1 < taps.length && taps[t1] === o) t1 += 3;
      const yOff = (b * OH * OW + o) * outStride;
      const unit = gateOffset + (b * OH * OW + o) * G;
      for (let k0 = 0; k0 < K; k0 += 4) {
        if (gate !== null && gate[unit + ((k0 / per) | 0)] === 0) continue;
        let a0 = y[yOff + k0], a1 = y[yOff + k0 + 1], a2 = y[yOff + k0 + 2], a3 = y[yOff + k0 + 3];
        const cOff = yOff + K + k0;
        let d0 = two ? y[cOff] : 0, d1 = two ? y[cOff + 1] : 0, d2 = two ? y[cOff + 2] : 0, d3 = two ? y[cOff + 3] : 0;
        for (let t = t0; t < t1; t += 3) {
          const xOff = (xImage + taps[t + 1]) * C;
          const wOff = taps[t + 2] * CK + k0;
          for (let c = c0; c < split; c++) {
            const xv = x[xOff + c];
            if (xv === 0) continue; // post-ReLU activations are often zero; adding 0 changes no sum
            const r = wOff + c * K;
            a0 = Math.fround(a0 + xv * w[r]);
            a1 = Math.fround(a1 + xv * w[r + 1]);
            a2 = Math.fround(a2 + xv * w[r + 2]);
            a3 = Math.fround(a3 + xv * w[r + 3]);
          }
          for (let c = split; c < c1; c++) {
            const xv = x[xOff + c];
            if (xv === 0) continue;
            const r = wOff + c * K;
            d0 = Math.fround(d0 + xv * w[r]);
            d1 = Math.fround(d1 + xv * w[r + 1]);
            d2 = Math.fround(d2 + xv * w[r + 2]);
            d3 = Math.fround(d3 + xv * w[r + 3]);
          }
        }
        y[yOff + k0] = a0;
        y[yOff + k0 + 1] = a1;
        y[yOff + k0 + 2] = a2;
        y[yOff + k0 + 3] = a3;
        if (two) {
          y[cOff] = d0;
          y[cOff + 1] = d1;
          y[cOff + 2] = d2;
          y[cOff + 3] = d3;
        }
      }
      t0 = t1;
    }
  }
}

/** forward4 with 8 output channels a block (K / G a multiple of 8, one output half): 1.15–1.3× faster. */
function forward8(x: Buf, y: Buf, w: Buf, g: ConvGeometry, outStride: number, part: ConvPart): void {
  const { B, H, W, C, OH, OW, K } = g;
  const { c0, c1, gate, gateOffset, G } = part;
  const per = K / G;
  const taps = convTaps(g);
  const CK = C * K;
  for (let b = 0; b < B; b++) {
    const xImage = b * H * W;
    let t0 = 0;
    while (t0 < taps.length) {
      const o = taps[t0];
      let t1 = t0;
      while (t1 < taps.length && taps[t1] === o) t1 += 3;
      const yOff = (b * OH * OW + o) * outStride;
      const unit = gateOffset + (b * OH * OW + o) * G;
      for (let k0 = 0; k0 < K; k0 += 8) {
        if (gate !== null && gate[unit + ((k0 / per) | 0)] === 0) continue;
        let a0 = y[yOff + k0], a1 = y[yOff + k0 + 1], a2 = y[yOff + k0 + 2], a3 = y[yOff + k0 + 3];
        let a4 = y[yOff + k0 + 4], a5 = y[yOff + k0 + 5], a6 = y[yOff + k0 + 6], a7 = y[yOff + k0 + 7];
        for (let t = t0; t < t1; t += 3) {
          const xOff = (xImage + taps[t + 1]) * C;
          const wOff = taps[t + 2] * CK + k0;
          for (let c = c0; c < c1; c++) {
            const xv = x[xOff + c];
            if (xv === 0) continue; // post-ReLU activations are often zero; adding 0 changes no sum
            const r = wOff + c * K;
            a0 = Math.fround(a0 + xv * w[r]);
            a1 = Math.fround(a1 + xv * w[r + 1]);
            a2 = Math.fround(a2 + xv * w[r + 2]);
            a3 = Math.fround(a3 + xv * w[r + 3]);
            a4 = Math.fround(a4 + xv * w[r + 4]);
            a5 = Math.fround(a5 + xv * w[r + 5]);
            a6 = Math.fround(a6 + xv * w[r + 6]);
            a7 = Math.fround(a7 + xv * w[r + 7]);
          }
        }
        y[yOff + k0] = a0;
        y[yOff + k0 + 1] = a1;
        y[yOff + k0 + 2] = a2;
        y[yOff + k0 + 3] = a3;
        y[yOff + k0 + 4] = a4;
        y[yOff + k0 + 5] = a5;
        y[yOff + k0 + 6] = a6;
        y[yOff + k0 + 7] = a7;
      }
      t0 = t1;
    }
  }
}

const groupCache = new Map<string, { starts: Int32Array; pairs: Int32Array }>();

/**
 * convTaps grouped by one of its fields (1: the input pixel, 2: the filter tap), in list
 * order within a group: the other two fields as pairs — (output pixel, filter tap) by input
 * pixel, (output pixel, input pixel) by filter tap — of group v at pairs[starts[v] …
 * starts[v + 1]).
 */
function groupTaps(g: ConvGeometry, by: 1 | 2): { starts: Int32Array; pairs: Int32Array } {
  const key = `${by}:${g.H},${g.W},${g.OH},${g.OW},${g.FH},${g.FW},${g.top},${g.left},${g.sh},${g.sw}`;
  let r = groupCache.get(key);
  if (r) return r;
  const taps = convTaps(g);
  const other = by === 1 ? 2 : 1;
  const n = by === 1 ? g.H * g.W : g.FH * g.FW;
  const starts = new Int32Array(n + 1);
  for (let t = 0; t < taps.length; t += 3) starts[taps[t + by] + 1] += 2;
  for (let v = 0; v < n; v++) starts[v + 1] += starts[v];
  const fill = starts.slice(0, n);
  const pairs = new Int32Array((taps.length / 3) * 2);
  for (let t = 0; t < taps.length; t += 3) {
    const at = fill[taps[t + by]];
    pairs[at] = taps[t];
    pairs[at + 1] = taps[t + other];
    fill[taps[t + by]] = at + 2;
  }
  r = { starts, pairs };
  if (groupCache.size > 128) groupCache.clear(); // a run has a handful of geometries
  groupCache.set(key, r);
  return r;
}

/**
 * walkConv's filter gradient for K / G a multiple of 4, the same sums in the same order: each
 * dw[f, c, k…k+3] accumulates in locals over the images and, per image, over filter tap f's
 * pixels in convTaps' order (the per-tap loop's order for that entry), rounded to float32
 * after every add. The per-tap loop loaded and stored a dw row for every (tap, channel).
 * Only input channels [part.c0, part.c1); a closed unit's pixels are skipped (CDG's dY_c is
 * 0 there anyway).
 */
function filterGrad4(x: Buf, dy: Buf, dw: Buf, g: ConvGeometry, part: ConvPart): void {
  const { B, H, W, C, OH, OW, K } = g;
  const { c0, c1, gate, gateOffset, G } = part;
  const per = K / G;
  const { starts, pairs } = groupTaps(g, 2);
  const nf = g.FH * g.FW;
  for (let f = 0; f < nf; f++) {
    const p0 = starts[f];
    const p1 = starts[f + 1];
    for (let c = c0; c < c1; c++) {
      const row = (f * C + c) * K;
      for (let k0 = 0; k0 < K; k0 += 4) {
        const q = (k0 / per) | 0;
        let a0 = dw[row + k0], a1 = dw[row + k0 + 1], a2 = dw[row + k0 + 2], a3 = dw[row + k0 + 3];
        for (let b = 0; b < B; b++) {
          const xB = b * H * W;
          const yB = b * OH * OW;
          for (let p = p0; p < p1; p += 2) {
            const xv = x[(xB + pairs[p + 1]) * C + c];
            if (xv === 0) continue; // adding 0 changes no sum
            if (gate !== null && gate[gateOffset + (yB + pairs[p]) * G + q] === 0) continue;
            const yo = (yB + pairs[p]) * K + k0;
            a0 = Math.fround(a0 + xv * dy[yo]);
            a1 = Math.fround(a1 + xv * dy[yo + 1]);
            a2 = Math.fround(a2 + xv * dy[yo + 2]);
            a3 = Math.fround(a3 + xv * dy[yo + 3]);
          }
        }
        dw[row + k0] = a0;
        dw[row + k0 + 1] = a1;
        dw[row + k0 + 2] = a2;
        dw[row + k0 + 3] = a3;
      }
    }
  }
}

/** filterGrad4 with 8 output channels a block (K / G a multiple of 8): x is read once per 8 outputs, 1.3–1.9× faster. */
function filterGrad8(x: Buf, dy: Buf, dw: Buf, g: ConvGeometry, part: ConvPart): void {
  const { B, H, W, C, OH, OW, K } = g;
  const { c0, c1, gate, gateOffset, G } = part;
  const per = K / G;
  const { starts, pairs } = groupTaps(g, 2);
  const nf = g.FH * g.FW;
  for (let f = 0; f < nf; f++) {
    const p0 = starts[f];
    const p1 = starts[f + 1];
    for (let c = c0; c < c1; c++) {
      const row = (f * C + c) * K;
      for (let k0 = 0; k0 < K; k0 += 8) {
        const q = (k0 / per) | 0;
        let a0 = dw[row + k0], a1 = dw[row + k0 + 1], a2 = dw[row + k0 + 2], a3 = dw[row + k0 + 3];
        let a4 = dw[row + k0 + 4], a5 = dw[row + k0 + 5], a6 = dw[row + k0 + 6], a7 = dw[row + k0 + 7];
        for (let b = 0; b < B; b++) {
          const xB = b * H * W;
          const yB = b * OH * OW;
          for (let p = p0; p < p1; p += 2) {
            const xv = x[(xB + pairs[p + 1]) * C + c];
            if (xv === 0) continue; // adding 0 changes no sum
            if (gate !== null && gate[gateOffset + (yB + pairs[p]) * G + q] === 0) continue;
            const yo = (yB + pairs[p]) * K + k0;
            a0 = Math.fround(a0 + xv * dy[yo]);
            a1 = Math.fround(a1 + xv * dy[yo + 1]);
            a2 = Math.fround(a2 + xv * dy[yo + 2]);
            a3 = Math.fround(a3 + xv * dy[yo + 3]);
            a4 = Math.fround(a4 + xv * dy[yo + 4]);
            a5 = Math.fround(a5 + xv * dy[yo + 5]);
            a6 = Math.fround(a6 + xv * dy[yo + 6]);
            a7 = Math.fround(a7 + xv * dy[yo + 7]);
          }
        }
        dw[row + k0] = a0;
        dw[row + k0 + 1] = a1;
        dw[row + k0 + 2] = a2;
        dw[row + k0 + 3] = a3;
        dw[row + k0 + 4] = a4;
        dw[row + k0 + 5] = a5;
        dw[row + k0 + 6] = a6;
        dw[row + k0 + 7] = a7;
      }
    }
  }
}

/**
 * walkConv's input gradient: per input pixel and block of 4 input channels (2 and 1 for the
 * rest of [part.c0, part.c1)), every tap that reads the pixel accumulates in locals
 * rounded to float32 after each tap (and output group) as the per-tap loop's dx += sum was,
 * so the values are the same bit for bit; dx is read and written once. Each dy value loaded
 * serves four weight rows; the per-tap loop loaded dy and w once per multiply-add. Output
 * channel groups of closed units are skipped (CDG's dY_c is 0 there anyway).
 */
function inputGrad4(dx: Buf, dy: Buf, w: Buf, g: ConvGeometry, part: ConvPart): void {
  const { B, H, W, C, OH, OW, K } = g;
  const { c0, c1, gate, gateOffset, G } = part;
  const per = K / G;
  const { starts, pairs } = groupTaps(g, 1);
  const CK = C * K;
  const HW = H * W;
  for (let b = 0; b < B; b++) {
    const yB = b * OH * OW;
    for (let i = 0; i < HW; i++) {
      const p0 = starts[i];
      const p1 = starts[i + 1];
      const xOff = (b * HW + i) * C;
      // Blocks of 4 channels, then the last (c1 − c0) mod 4 as a block of 2 and one of 1
      // (CDG's ranges: a quarter of 8 channels is 2): no test per multiply-add.
      for (let cb = c0; cb < c1; ) {
        const n = c1 - cb >= 4 ? 4 : c1 - cb >= 2 ? 2 : 1;
        let a0 = dx[xOff + cb], a1 = n > 1 ? dx[xOff + cb + 1] : 0, a2 = n > 2 ? dx[xOff + cb + 2] : 0, a3 = n > 2 ? dx[xOff + cb + 3] : 0;
        for (let p = p0; p < p1; p += 2) {
          const opix = yB + pairs[p];
          const yo = opix * K;
          const r0 = pairs[p + 1] * CK + cb * K;
          const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
          for (let q = 0; q < G; q++) {
            if (gate !== null && gate[gateOffset + opix * G + q] === 0) continue;
            const kEnd = (q + 1) * per;
            // A tap's (and group's) sum in doubles, added to dx's float32 value: the per-tap loop's rounding.
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            if (n === 4) {
              for (let k = q * per; k < kEnd; k++) {
                const d = dy[yo + k];
                s0 += d * w[r0 + k];
                s1 += d * w[r1 + k];
                s2 += d * w[r2 + k];
                s3 += d * w[r3 + k];
              }
            } else if (n === 2) {
              for (let k = q * per; k < kEnd; k++) {
                const d = dy[yo + k];
                s0 += d * w[r0 + k];
                s1 += d * w[r1 + k];
              }
            } else {
              for (let k = q * per; k < kEnd; k++) s0 += dy[yo + k] * w[r0 + k];
            }
            a0 = Math.fround(a0 + s0);
            a1 = Math.fround(a1 + s1);
            a2 = Math.fround(a2 + s2);
            a3 = Math.fround(a3 + s3);
          }
        }
        dx[xOff + cb] = a0;
        if (n > 1) dx[xOff + cb + 1] = a1;
        if (n > 2) {
          dx[xOff + cb + 2] = a2;
          dx[xOff + cb + 3] = a3;
        }
        cb += n;
      }
    }
  }
}

/** inputGrad4 with 8 input channels a block ((c1 − c0) a multiple of 8): 1.2–1.35× faster. */
function inputGrad8(dx: Buf, dy: Buf, w: Buf, g: ConvGeometry, part: ConvPart): void {
  const { B, H, W, C, OH, OW, K } = g;
  const { c0, c1, gate, gateOffset, G } = part;
  const per = K / G;
  const { starts, pairs } = groupTaps(g, 1);
  const CK = C * K;
  const HW = H * W;
  for (let b = 0; b < B; b++) {
    const yB = b * OH * OW;
    for (let i = 0; i < HW; i++) {
      const p0 = starts[i];
      const p1 = starts[i + 1];
      const xOff = (b * HW + i) * C;
      for (let cb = c0; cb < c1; cb += 8) {
        let a0 = dx[xOff + cb], a1 = dx[xOff + cb + 1], a2 = dx[xOff + cb + 2], a3 = dx[xOff + cb + 3];
        let a4 = dx[xOff + cb + 4], a5 = dx[xOff + cb + 5], a6 = dx[xOff + cb + 6], a7 = dx[xOff + cb + 7];
        for (let p = p0; p < p1; p += 2) {
          const opix = yB + pairs[p];
          const yo = opix * K;
          const r0 = pairs[p + 1] * CK + cb * K;
          const r1 = r0 + K, r2 = r1 + K, r3 = r2 + K, r4 = r3 + K, r5 = r4 + K, r6 = r5 + K, r7 = r6 + K;
          for (let q = 0; q < G; q++) {
            if (gate !== null && gate[gateOffset + opix * G + q] === 0) continue;
            const kEnd = (q + 1) * per;
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (let k = q * per; k < kEnd; k++) {
              const d = dy[yo + k];
              s0 += d * w[r0 + k];
              s1 += d * w[r1 + k];
              s2 += d * w[r2 + k];
              s3 += d * w[r3 + k];
              s4 += d * w[r4 + k];
              s5 += d * w[r5 + k];
              s6 += d * w[r6 + k];
              s7 += d * w[r7 + k];
            }
            a0 = Math.fround(a0 + s0);
            a1 = Math.fround(a1 + s1);
            a2 = Math.fround(a2 + s2);
            a3 = Math.fround(a3 + s3);
            a4 = Math.fround(a4 + s4);
            a5 = Math.fround(a5 + s5);
            a6 = Math.fround(a6 + s6);
            a7 = Math.fround(a7 + s7);
          }
        }
        dx[xOff + cb] = a0;
        dx[xOff + cb + 1] = a1;
        dx[xOff + cb + 2] = a2;
        dx[xOff + cb + 3] = a3;
        dx[xOff + cb + 4] = a4;
        dx[xOff + cb + 5] = a5;
        dx[xOff + cb + 6] = a6;
        dx[xOff + cb + 7] = a7;
      }
    }
  }
}

// The blocked loops' entry points: 8 channels a block where the shapes allow, else 4. The
// two widths are written out by hand (locals, not an array: V8 keeps them in registers).
// With a helper thread (convThreads.ts, Node's CLIs) a large enough call is split between
// the two threads: the same sums in the same order, each output computed by one of them.

/** Splits a blocked loop's call with a helper thread; false = run it here, whole. */
export interface ConvSplitter {
  forward(x: Buf, y: Buf, w: Buf, g: ConvGeometry, split: number, outStride: number, part: ConvPart): boolean;
  inputGrad(dx: Buf, dy: Buf, w: Buf, g: ConvGeometry, part: ConvPart): boolean;
  filterGrad(x: Buf, dy: Buf, dw: Buf, g: ConvGeometry, part: ConvPart): boolean;
}

let splitter: ConvSplitter | null = null;

/** Install (or with null remove) the helper thread's splitter. */
export function setConvSplitter(s: ConvSplitter | null): void {
  splitter = s;
}

/** The blocked forward (forward4's contract); K / G a multiple of 4. */
export function forwardBlocked(x: Buf, y: Buf, w: Buf, g: ConvGeometry, split: number, outStride: number, part: ConvPart): void {
  if (splitter === null || !splitter.forward(x, y, w, g, split, outStride, part)) forwardHere(x, y, w, g, split, outStride, part);
}

/** The blocked filter gradient (filterGrad4's contract); K / G a multiple of 4. */
export function filterGradBlocked(x: Buf, dy: Buf, dw: Buf, g: ConvGeometry, part: ConvPart): void {
  if (splitter === null || !splitter.filterGrad(x, dy, dw, g, part)) filterGradHere(x, dy, dw, g, part);
}

/** The blocked input gradient (inputGrad4's contract); any channel range. */
export function inputGradBlocked(dx: Buf, dy: Buf, w: Buf, g: ConvGeometry, part: ConvPart): void {
  if (splitter === null || !splitter.inputGrad(dx, dy, w, g, part)) inputGradHere(dx, dy, w, g, part);
}

/** forwardBlocked in this thread only (what each thread of a split call runs on its images). */
export function forwardHere(x: Buf, y: Buf, w: Buf, g: ConvGeometry, split: number, outStride: number, part: ConvPart): void {
  if (split >= part.c1 && (g.K / part.G) % 8 === 0) forward8(x, y, w, g, outStride, part);
  else forward4(x, y, w, g, split, outStride, part);
}

/** filterGradBlocked in this thread only (a split call gives each thread a range of input channels). */
export function filterGradHere(x: Buf, dy: Buf, dw: Buf, g: ConvGeometry, part: ConvPart): void {
  if ((g.K / part.G) % 8 === 0) filterGrad8(x, dy, dw, g, part);
  else filterGrad4(x, dy, dw, g, part);
}

/** inputGradBlocked in this thread only. */
export function inputGradHere(dx: Buf, dy: Buf, w: Buf, g: ConvGeometry, part: ConvPart): void {
  if ((part.c1 - part.c0) % 8 === 0) inputGrad8(dx, dy, w, g, part);
  else inputGrad4(dx, dy, w, g, part);
}
