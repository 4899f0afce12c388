// Shrink stored square images by area averaging: each output pixel is the mean of the
// source pixels under its footprint (for a whole-number factor, exactly its block). Used
// when own images must go to a smaller side and the original files are no longer at hand,
// and by the CIFAR-10 loader (32 px records to a smaller model size), so both give the same
// pixels: sampling (nearest, bilinear at 2× and more) would alias, averaging does not.
import type { Dataset, ImageSplit } from './types';

/** `split` of from×from images with `channels` channels, shrunk to to×to (to ≤ from). */
export function areaShrink(split: ImageSplit, from: number, to: number, channels: number): ImageSplit {
  if (to > from) throw new Error(`areaShrink enlarges nothing: ${from} px to ${to} px`);
  if (to === from) return split;
  const c = channels;
  // Source rows (and columns) [lo[i], hi[i]) under output row i: contiguous, non-empty, covering all.
  const lo = Array.from({ length: to }, (_, i) => Math.floor((i * from) / to));
  const hi = Array.from({ length: to }, (_, i) => Math.floor(((i + 1) * from) / to));
  const images = new Uint8Array(split.count * to * to * c);
  for (let n = 0; n < split.count; n++) {
    const src = n * from * from * c;
    const dst = n * to * to * c;
    for (let y = 0; y < to; y++)
      for (let x = 0; x < to; x++)
        for (let k = 0; k < c; k++) {
          let sum = 0;
          for (let sy = lo[y]; sy < hi[y]; sy++) for (let sx = lo[x]; sx < hi[x]; sx++) sum += split.images[src + (sy * from + sx) * c + k];
          images[dst + (y * to + x) * c + k] = Math.round(sum / ((hi[y] - lo[y]) * (hi[x] - lo[x])));
        }
  }
  return { images, labels: split.labels, count: split.count };
}

/** A square dataset shrunk to to×to, both splits. */
export function shrinkDataset(d: Dataset, to: number): Dataset {
  if (d.height !== d.width) throw new Error(`shrinkDataset takes square images (${d.height}×${d.width})`);
  return { ...d, height: to, width: to, train: areaShrink(d.train, d.height, to, d.channels), test: areaShrink(d.test, d.height, to, d.channels) };
}
