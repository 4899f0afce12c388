// Dataset types shared by every loader, and host-side helpers over them. No tfjs here: the
// page imports these types (own data is read in the page); batchTensor.ts makes tensors.

/** images: [count, H, W, C] row-major, 0..255; labels: [count], class index. */
export interface ImageSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface Dataset {
  name: 'shapes' | 'fashion-mnist' | 'own';
  /** Own data: where it came from ('own images', 'CIFAR-10 (own files)'). */
  source?: string;
  /** Own data: files that could not be decoded and were left out. */
  skipped?: string[];
  height: number;
  width: number;
  channels: 1 | 3;
  classNames: string[];
  train: ImageSplit;
  test: ImageSplit;
}

/** Injected: fetch in the browser and worker, fs in Node. Paths are relative, e.g. 'data/fashion-mnist/train-images.idx3.gz'. */
export type AssetReader = (path: string) => Promise<Uint8Array>;

/** Image geometry; a `Dataset` satisfies it, so `batchTensor(ds.train, idx, ds)` works. */
export type ImageDims = Pick<Dataset, 'height' | 'width' | 'channels'>;

/** Labels of `indices` as a plain array (for kNN / probes). */
export function batchLabels(split: ImageSplit, indices: number[]): Int32Array {
  const out = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) out[b] = split.labels[indices[b]];
  return out;
}

/** The images and labels at `indices` (in that order) as a new split; `perImage` = H·W·C bytes. */
export function pickImages(split: ImageSplit, indices: readonly number[], perImage: number): ImageSplit {
  const images = new Uint8Array(indices.length * perImage);
  const labels = new Uint8Array(indices.length);
  indices.forEach((i, k) => {
    images.set(split.images.subarray(i * perImage, (i + 1) * perImage), k * perImage);
    labels[k] = split.labels[i];
  });
  return { images, labels, count: indices.length };
}

/**
 * Classes that have images in one split only. The kNN monitor scores a held-out image
 * against the training images, so a class with no training image can never be scored
 * right: own data with train/test folders that do not match lowers the accuracy, and the
 * page says so.
 */
export function classesInOneSplit(ds: Pick<Dataset, 'classNames' | 'train' | 'test'>): { trainOnly: string[]; testOnly: string[] } {
  const seen = (s: ImageSplit) => {
    const has = new Set<number>();
    for (let i = 0; i < s.count; i++) has.add(s.labels[i]);
    return has;
  };
  const inTrain = seen(ds.train);
  const inTest = seen(ds.test);
  const named = (keep: (c: number) => boolean) => ds.classNames.filter((_, c) => keep(c));
  return { trainOnly: named((c) => inTrain.has(c) && !inTest.has(c)), testOnly: named((c) => inTest.has(c) && !inTrain.has(c)) };
}
