// A fingerprint of a data set's contents, so a saved own-images run can tell whether the
// images loaded now are the ones it trained on: class names, split sizes, image size and the
// labels in order exactly (FNV-1a), and each image's mean per channel, in order, compared
// within 2 levels rather than by hash: the same files decoded again by another canvas (a GPU
// one, a browser update) may round a few pixels otherwise. ~60 KB for 20 000 RGB images.
// Cached per data set (immutable once read).
import { fnv1a } from './fnv1a';
import type { Dataset, ImageSplit } from './types';

export interface DatasetPrint {
  classes: string[];
  train: number;
  test: number;
  size: number;
  /** FNV-1a of the train labels, then the test labels. */
  labels: string;
  /** Each image's mean per channel (rounded, 0–255), train images then test images. */
  means: Uint8Array;
}

/** How far a channel mean may move when the same file is decoded again. */
const MEAN_TOLERANCE = 2;

const prints = new WeakMap<Dataset, DatasetPrint>();

function imageMeans(split: ImageSplit, channels: number, out: Uint8Array, at: number): void {
  const per = split.count ? split.images.length / split.count : 0;
  const pixels = per / channels;
  for (let i = 0; i < split.count; i++)
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let p = i * per + c; p < (i + 1) * per; p += channels) s += split.images[p];
      out[(at + i) * channels + c] = Math.round(s / pixels);
    }
}

export function datasetPrint(ds: Dataset): DatasetPrint {
  let p = prints.get(ds);
  if (p === undefined) {
    const means = new Uint8Array((ds.train.count + ds.test.count) * ds.channels);
    imageMeans(ds.train, ds.channels, means, 0);
    imageMeans(ds.test, ds.channels, means, ds.train.count);
    p = { classes: [...ds.classNames], train: ds.train.count, test: ds.test.count, size: ds.height, labels: fnv1a([ds.train.labels, ds.test.labels]), means };
    prints.set(ds, p);
  }
  return p;
}

/** A stored print as read back (undefined when it is not one: an older save, a damaged record). */
export function asDatasetPrint(x: unknown): DatasetPrint | undefined {
  const p = x as DatasetPrint;
  const ok = typeof x === 'object' && x !== null && Array.isArray(p.classes) && p.classes.every((c) => typeof c === 'string') && [p.train, p.test, p.size].every(Number.isInteger) && typeof p.labels === 'string' && p.means instanceof Uint8Array;
  return ok ? p : undefined;
}

/** What differs between two prints (undefined: the same images, as far as a print tells). */
export function printDifference(saved: DatasetPrint, now: DatasetPrint): string | undefined {
  if (saved.classes.join('\n') !== now.classes.join('\n')) return `classes ${saved.classes.join(', ')} against ${now.classes.join(', ')}`;
  if (saved.train !== now.train || saved.test !== now.test) return `${saved.train} + ${saved.test} images against ${now.train} + ${now.test}`;
  if (saved.size !== now.size) return `${saved.size} px against ${now.size} px`;
  if (saved.labels !== now.labels || saved.means.length !== now.means.length) return 'the same counts, but other images in each class';
  const per = saved.means.length / (saved.train + saved.test || 1);
  let differ = 0;
  for (let i = 0; i < saved.train + saved.test; i++) {
    let same = true;
    for (let c = 0; c < per; c++) if (Math.abs(saved.means[i * per + c] - now.means[i * per + c]) > MEAN_TOLERANCE) same = false;
    if (!same) differ++;
  }
  return differ ? `${differ} of ${saved.train + saved.test} images differ` : undefined;
}
