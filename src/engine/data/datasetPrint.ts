// A short fingerprint of a data set's contents (class names, split sizes, image size, and a
// hash of every pixel and label), so a saved own-images run can tell whether the images
// loaded now are the ones it trained on. Cached per data set (they are immutable once read).
import { fnv1a } from './fnv1a';
import type { Dataset } from './types';

const prints = new WeakMap<Dataset, string>();

export function datasetPrint(ds: Dataset): string {
  let p = prints.get(ds);
  if (p === undefined) {
    const hash = fnv1a([ds.train.images, ds.train.labels, ds.test.images, ds.test.labels]);
    p = `${ds.classNames.length} classes (${ds.classNames.slice(0, 3).join(', ')}${ds.classNames.length > 3 ? ', …' : ''}), ${ds.train.count} + ${ds.test.count} images at ${ds.height} px, #${hash}`;
    prints.set(ds, p);
  }
  return p;
}
