// Shrink stored square images by area averaging: each output pixel is the mean of the
// source image under its footprint, a source pixel weighted by how much of it lies there
// (for a whole-number factor, exactly the mean of its block). Used
// when own images must go to a smaller side and the original files are no longer at hand,
// and by the CIFAR-10 loader (32 px records to a smaller model size), so both give the same
// pixels: sampling (nearest, bilinear at 2× and more) would alias, averaging does not.
import type { Dataset, ImageSplit } from './types';

/** `split` of from×from images with `channels` channels, shrunk to to×to (to ≤ from). */
export function areaShrink(split: ImageSplit, from: number, to: number, channels: number): ImageSplit {
  if (to > from) throw new Error(`areaShrink enlarges nothing: ${from} px to ${to} px`);
  if (to === from) return split;
  const c = channels;
  // Exact box filter in integers: output pixel i covers [i·from, (i+1)·from) and source
  // pixel j covers [j·to, (j+1)·to) on a common grid; a source pixel weighs its overlap.
  // Rounding each footprint to whole pixels instead shifted images by up to half a source
  // pixel and gave the edge rows half weight when `to` does not divide `from`.
  const taps = Array.from({ length: to }, (_, i) => {
    const out: [number, number][] = [];
    const a = i * from, b = (i + 1) * from;
    for (let j = Math.floor(a / to); j * to < b; j++) out.push([j, Math.min(b, (j + 1) * to) - Math.max(a, j * to)]);
    return out;
  });
  const area = from * from;
  const images = new Uint8Array(split.count * to * to * c);
  for (let n = 0; n < split.count; n++) {
    const src = n * from * from * c;
    const dst = n * to * to * c;
    for (let y = 0; y < to; y++)
      for (let x = 0; x < to; x++)
        for (let k = 0; k < c; k++) {
          let sum = 0;
          for (const [sy, wy] of taps[y]) for (const [sx, wx] of taps[x]) sum += wy * wx * split.images[src + (sy * from + sx) * c + k];
          images[dst + (y * to + x) * c + k] = Math.round(sum / area);
        }
  }
  return { images, labels: split.labels, count: split.count };
}

/** A square dataset shrunk to to×to, both splits. */
export function shrinkDataset(d: Dataset, to: number): Dataset {
  if (d.height !== d.width) throw new Error(`shrinkDataset takes square images (${d.height}×${d.width})`);
  return { ...d, height: to, width: to, train: areaShrink(d.train, d.height, to, d.channels), test: areaShrink(d.test, d.height, to, d.channels) };
}
