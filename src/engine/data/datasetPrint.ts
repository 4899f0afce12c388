// A fingerprint of a data set's contents, so a saved own-images run can tell whether the
// images loaded now are the ones it trained on: class names, split sizes, image size and the
// labels in order exactly (FNV-1a), and each split's mean pixel value. The pixels are compared
// within a level, not by hash: the same files decoded again by another canvas (a GPU one, a
// browser update) may round a few pixels otherwise. Cached per data set (immutable once read).
import { fnv1a } from './fnv1a';
import type { Dataset } from './types';

export interface DatasetPrint {
  classes: string[];
  train: number;
  test: number;
  size: number;
  /** FNV-1a of the train labels, then the test labels. */
  labels: string;
  /** Mean pixel value (0–255) of the train and the test images. */
  mean: [number, number];
}

const prints = new WeakMap<Dataset, DatasetPrint>();

function meanOf(bytes: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += bytes[i];
  return bytes.length ? s / bytes.length : 0;
}

export function datasetPrint(ds: Dataset): DatasetPrint {
  let p = prints.get(ds);
  if (p === undefined) {
    p = { classes: [...ds.classNames], train: ds.train.count, test: ds.test.count, size: ds.height, labels: fnv1a([ds.train.labels, ds.test.labels]), mean: [meanOf(ds.train.images), meanOf(ds.test.images)] };
    prints.set(ds, p);
  }
  return p;
}

/** A stored print as read back (undefined when it is not one: an older save, a damaged record). */
export function asDatasetPrint(x: unknown): DatasetPrint | undefined {
  const p = x as DatasetPrint;
  const ok = typeof x === 'object' && x !== null && Array.isArray(p.classes) && p.classes.every((c) => typeof c === 'string') && [p.train, p.test, p.size].every(Number.isInteger) && typeof p.labels === 'string' && Array.isArray(p.mean) && p.mean.length === 2 && p.mean.every(Number.isFinite);
  return ok ? p : undefined;
}

/** The same images, as far as the print tells: all exact but the mean pixels, within a level. */
export function samePrint(a: DatasetPrint, b: DatasetPrint): boolean {
  return a.classes.join('\n') === b.classes.join('\n') && a.train === b.train && a.test === b.test && a.size === b.size && a.labels === b.labels && a.mean.every((m, i) => Math.abs(m - b.mean[i]) <= 1);
}

export function describePrint(p: DatasetPrint): string {
  const names = `${p.classes.slice(0, 3).join(', ')}${p.classes.length > 3 ? ', …' : ''}`;
  return `${p.classes.length} classes (${names}), ${p.train} + ${p.test} images at ${p.size} px, mean pixel ${p.mean.map((m) => m.toFixed(1)).join(' / ')}, labels #${p.labels}`;
}
