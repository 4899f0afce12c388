// A short fingerprint of a data set's contents (class names, split sizes, image size, and a
// hash of every pixel and label), so a saved own-images run can tell whether the images
// loaded now are the ones it trained on. FNV-1a over the bytes: not cryptographic, only to
// tell two sets of images apart. Cached per data set (they are immutable once read).
import type { Dataset } from './types';

const prints = new WeakMap<Dataset, string>();

function fnv1a(parts: Uint8Array[]): string {
  let h = 0x811c9dc5;
  for (const bytes of parts)
    for (let i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193);
    }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function datasetPrint(ds: Dataset): string {
  let p = prints.get(ds);
  if (p === undefined) {
    const hash = fnv1a([ds.train.images, ds.train.labels, ds.test.images, ds.test.labels]);
    p = `${ds.classNames.length} classes (${ds.classNames.slice(0, 3).join(', ')}${ds.classNames.length > 3 ? ', …' : ''}), ${ds.train.count} + ${ds.test.count} images at ${ds.height} px, #${hash}`;
    prints.set(ds, p);
  }
  return p;
}
