// Tests for the procedural shapes dataset: determinism, balance, visibility, and that geometry (not colour) carries the class.
import { describe, expect, it } from 'vitest';
import { makeShapes, makeShapesWithMasks, SHAPE_CLASSES } from '../../../src/engine/data/shapes';

const S = 32;
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Rotation-, translation- and scale-invariant descriptors of a coverage mask (Hu moments, fill of the circumscribed circle, hole at the centroid). */
function maskDescriptor(mask: Uint8Array, i: number): number[] {
  const a = (x: number, y: number) => mask[i * S * S + y * S + x] / 255;
  let m00 = 0, mx = 0, my = 0;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const v = a(x, y);
    m00 += v; mx += v * x; my += v * y;
  }
  const cx = mx / m00, cy = my / m00;
  let u20 = 0, u02 = 0, u11 = 0, u30 = 0, u03 = 0, u21 = 0, u12 = 0, rmax = 0;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const v = a(x, y), dx = x - cx, dy = y - cy;
    u20 += v * dx * dx; u02 += v * dy * dy; u11 += v * dx * dy;
    u30 += v * dx ** 3; u03 += v * dy ** 3; u21 += v * dx * dx * dy; u12 += v * dx * dy * dy;
    if (v > 0.5) rmax = Math.max(rmax, Math.hypot(dx, dy));
  }
  const n2 = m00 ** 2, n3 = m00 ** 2.5;
  const e20 = u20 / n2, e02 = u02 / n2, e11 = u11 / n2, e30 = u30 / n3, e03 = u03 / n3, e21 = u21 / n3, e12 = u12 / n3;
  return [
    e20 + e02,
    Math.sqrt((e20 - e02) ** 2 + 4 * e11 ** 2),
    Math.cbrt((e30 - 3 * e12) ** 2 + (3 * e21 - e03) ** 2),
    m00 / (Math.PI * rmax * rmax),
    a(Math.round(cx), Math.round(cy)),
  ];
}

/** Nearest-centroid classifier on standardised features; returns test accuracy. */
function nearestCentroidAccuracy(train: number[][], trainLabels: Uint8Array, test: number[][], testLabels: Uint8Array): number {
  const F = train[0].length;
  const mu = new Array(F).fill(0), sd = new Array(F).fill(0);
  for (const f of train) f.forEach((v, k) => (mu[k] += v / train.length));
  for (const f of train) f.forEach((v, k) => (sd[k] += (v - mu[k]) ** 2 / train.length));
  const z = (f: number[]) => f.map((v, k) => (v - mu[k]) / (Math.sqrt(sd[k]) || 1));
  const cent = Array.from({ length: 10 }, () => new Array(F).fill(0));
  const cnt = new Array(10).fill(0);
  train.forEach((f, i) => {
    cnt[trainLabels[i]]++;
    z(f).forEach((v, k) => (cent[trainLabels[i]][k] += v));
  });
  cent.forEach((c, l) => c.forEach((_, k) => (c[k] /= cnt[l])));
  let ok = 0;
  test.forEach((f, i) => {
    const zf = z(f);
    let best = -1, bd = Infinity;
    cent.forEach((c, l) => {
      const d = c.reduce((s, v, k) => s + (v - zf[k]) ** 2, 0);
      if (d < bd) { bd = d; best = l; }
    });
    if (best === testLabels[i]) ok++;
  });
  return ok / test.length;
}

describe('makeShapes', () => {
  const { dataset: ds, masks } = makeShapesWithMasks({ seed: 11, trainCount: 2000, testCount: 1000 });

  it('has the declared layout', () => {
    expect(ds.name).toBe('shapes');
    expect([ds.height, ds.width, ds.channels]).toEqual([32, 32, 3]);
    expect(ds.classNames).toEqual([...SHAPE_CLASSES]);
    expect(new Set(ds.classNames).size).toBe(10);
    expect(ds.train.count).toBe(2000);
    expect(ds.train.images.length).toBe(2000 * 32 * 32 * 3);
    expect(ds.train.labels.length).toBe(2000);
    expect(ds.test.images.length).toBe(1000 * 32 * 32 * 3);
  });

  it('same seed ⇒ identical bytes; other seed ⇒ different images', () => {
    const again = makeShapes({ seed: 11, trainCount: 2000, testCount: 1000 });
    expect(eq(again.train.images, ds.train.images)).toBe(true);
    expect(eq(again.train.labels, ds.train.labels)).toBe(true);
    expect(eq(again.test.images, ds.test.images)).toBe(true);
    const other = makeShapes({ seed: 12, trainCount: 2000, testCount: 10 });
    let diff = 0;
    for (let i = 0; i < other.train.images.length; i++) if (other.train.images[i] !== ds.train.images[i]) diff++;
    expect(diff / other.train.images.length).toBeGreaterThan(0.9);
  });

  it('image i does not depend on the count (prefix-stable), and train ≠ test', () => {
    const small = makeShapes({ seed: 11, trainCount: 55, testCount: 5 });
    expect(eq(small.train.images, ds.train.images.subarray(0, 55 * S * S * 3))).toBe(true);
    expect(eq(small.train.labels, ds.train.labels.subarray(0, 55))).toBe(true);
    expect(eq(ds.test.images.subarray(0, S * S * 3), ds.train.images.subarray(0, S * S * 3))).toBe(false);
  });

  it('classes are balanced (exactly for multiples of 10, within one otherwise) and mixed', () => {
    const count = (labels: Uint8Array) => {
      const c = new Array(10).fill(0);
      for (const l of labels) c[l]++;
      return c;
    };
    expect(count(ds.train.labels)).toEqual(new Array(10).fill(200));
    expect(count(ds.test.labels)).toEqual(new Array(10).fill(100));
    const odd = count(makeShapes({ seed: 1, trainCount: 1234, testCount: 0 }).train.labels);
    expect(Math.max(...odd) - Math.min(...odd)).toBeLessThanOrEqual(1);
    expect(odd.reduce((a, b) => a + b)).toBe(1234);
    // Mixed, not sorted by class: no class appears more than twice in a row.
    let longestRun = 1, run = 1;
    for (let i = 1; i < 2000; i++) {
      run = ds.train.labels[i] === ds.train.labels[i - 1] ? run + 1 : 1;
      longestRun = Math.max(longestRun, run);
    }
    expect(longestRun).toBeLessThanOrEqual(2);
  });

  it('every shape is visible: inside the frame, big enough, and ≥ 0.25 luma away from every background pixel', () => {
    const luma = (img: Uint8Array, o: number) => 0.299 * img[o] + 0.587 * img[o + 1] + 0.114 * img[o + 2];
    for (let i = 0; i < ds.train.count; i++) {
      let fgMin = 255, fgMax = 0, bgMin = 255, bgMax = 0, nf = 0, nb = 0, border = 0;
      for (let p = 0; p < S * S; p++) {
        const m = masks.train[i * S * S + p];
        const x = p % S, y = Math.floor(p / S);
        if ((x === 0 || y === 0 || x === S - 1 || y === S - 1) && m > 0) border++;
        const l = luma(ds.train.images, (i * S * S + p) * 3);
        if (m === 255) {
          nf++; fgMin = Math.min(fgMin, l); fgMax = Math.max(fgMax, l);
        } else if (m === 0) {
          nb++; bgMin = Math.min(bgMin, l); bgMax = Math.max(bgMax, l);
        }
      }
      expect(border).toBe(0);
      expect(nf).toBeGreaterThanOrEqual(25);
      expect(nb).toBeGreaterThanOrEqual(S * S / 3);
      // Flat shape colour, entirely above or below the background's luma range (2 levels of rounding slack).
      expect(fgMax - fgMin).toBeLessThan(2);
      expect(Math.max(fgMin - bgMax, bgMin - fgMax)).toBeGreaterThan(0.25 * 255 - 2);
    }
  });

  it('uses the whole value range and varied backgrounds', () => {
    let min = 255, max = 0;
    for (const v of ds.train.images) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBeLessThan(10);
    expect(max).toBeGreaterThan(245);
    // Backgrounds are textured, not flat: nearly every background has several distinct colours.
    let textured = 0;
    for (let i = 0; i < 1000; i++) {
      const vals = new Set<number>();
      for (let p = 0; p < S * S; p++) {
        const o = (i * S * S + p) * 3;
        if (masks.train[i * S * S + p] === 0) vals.add((ds.train.images[o] << 16) | (ds.train.images[o + 1] << 8) | ds.train.images[o + 2]);
      }
      if (vals.size >= 2) textured++;
    }
    expect(textured).toBeGreaterThan(950);
  });

  it('classes are separable by geometry: nearest centroid on invariant mask descriptors > 95% on test', () => {
    const tr = Array.from({ length: ds.train.count }, (_, i) => maskDescriptor(masks.train, i));
    const te = Array.from({ length: ds.test.count }, (_, i) => maskDescriptor(masks.test, i));
    expect(nearestCentroidAccuracy(tr, ds.train.labels, te, ds.test.labels)).toBeGreaterThan(0.95);
  });

  it('colour alone does not give the class: nearest centroid on mean shape / background colour ≈ chance', () => {
    const colours = (images: Uint8Array, mask: Uint8Array, n: number) =>
      Array.from({ length: n }, (_, i) => {
        const f = [0, 0, 0, 0, 0, 0];
        let wf = 0, wb = 0;
        for (let p = 0; p < S * S; p++) {
          const a = mask[i * S * S + p] / 255;
          wf += a; wb += 1 - a;
          for (let c = 0; c < 3; c++) {
            f[c] += a * images[(i * S * S + p) * 3 + c];
            f[3 + c] += (1 - a) * images[(i * S * S + p) * 3 + c];
          }
        }
        return f.map((v, k) => v / (k < 3 ? wf : wb));
      });
    const acc = nearestCentroidAccuracy(
      colours(ds.train.images, masks.train, ds.train.count), ds.train.labels,
      colours(ds.test.images, masks.test, ds.test.count), ds.test.labels,
    );
    expect(acc).toBeLessThan(0.2); // chance is 0.1
  });

  it('renders at other sizes', () => {
    const d16 = makeShapes({ seed: 1, trainCount: 20, testCount: 10, size: 16 });
    expect([d16.height, d16.width]).toEqual([16, 16]);
    expect(d16.train.images.length).toBe(20 * 16 * 16 * 3);
    expect(() => makeShapes({ seed: 1, trainCount: -1, testCount: 0 })).toThrow(/non-negative/);
  });

  it('textureStrength scales the background texture: 0 is flat, larger is bolder, outside [0, 1] throws', () => {
    // Per image, the luma range over pure background pixels (coverage 0).
    const spread = (ts: number) => {
      const { dataset: d, masks: m } = makeShapesWithMasks({ seed: 5, trainCount: 200, testCount: 0, textureStrength: ts });
      const out: number[] = [];
      for (let i = 0; i < 200; i++) {
        let lo = 255, hi = 0;
        for (let p = 0; p < S * S; p++) {
          if (m.train[i * S * S + p] !== 0) continue;
          const o = (i * S * S + p) * 3;
          const l = 0.299 * d.train.images[o] + 0.587 * d.train.images[o + 1] + 0.114 * d.train.images[o + 2];
          lo = Math.min(lo, l); hi = Math.max(hi, l);
        }
        out.push(hi - lo);
      }
      return out;
    };
    const s0 = spread(0), s3 = spread(0.3), s1 = spread(1);
    // Flat: one colour everywhere but at the shape's faint outer edge (coverage < 1/510
    // rounds to mask 0 yet can move a channel by one level).
    expect(Math.max(...s0)).toBeLessThanOrEqual(1);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    // Same seed, same draws: only the second colour moves toward the first, so spreads shrink.
    expect(mean(s3)).toBeGreaterThan(0);
    expect(mean(s3)).toBeLessThan(mean(s1) * 0.45);
    s3.forEach((v, i) => expect(v).toBeLessThanOrEqual(s1[i] + 1));
    expect(() => makeShapes({ seed: 1, trainCount: 1, testCount: 0, textureStrength: 1.5 })).toThrow(/textureStrength.*1\.5/);
    expect(() => makeShapes({ seed: 1, trainCount: 1, testCount: 0, textureStrength: Number.NaN })).toThrow(/textureStrength/);
  });
});
