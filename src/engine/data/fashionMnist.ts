// Loads the shipped Fashion-MNIST subset (gzipped IDX under public/data/fashion-mnist) through an injected reader.
import { gunzip } from './gunzip';
import { parseIdx } from './idx';
import type { AssetReader, Dataset, ImageSplit } from './types';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

export const FASHION_MNIST_DIR = 'data/fashion-mnist';

/** Images shipped (PROVENANCE.md: the first 1000 of each class for training, 200 held out): the most a run can ask for. */
export const FASHION_MNIST_COUNTS = { train: 10_000, test: 2_000 } as const;

/** The side of the shipped images (28×28). */
export const FASHION_MNIST_SIDE = 28;

/** The four shipped files, relative to the public root. */
export const FASHION_MNIST_FILES = {
  trainImages: `${FASHION_MNIST_DIR}/train-images.idx3.gz`,
  trainLabels: `${FASHION_MNIST_DIR}/train-labels.idx1.gz`,
  testImages: `${FASHION_MNIST_DIR}/test-images.idx3.gz`,
  testLabels: `${FASHION_MNIST_DIR}/test-labels.idx1.gz`,
} as const;

async function readIdx(read: AssetReader, path: string, ndims: number) {
  let bytes: Uint8Array;
  try {
    bytes = await read(path);
  } catch (e) {
    throw new Error(`${path}: could not read: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseIdx(await gunzip(bytes, path), { ndims, name: path });
}

async function loadSplit(read: AssetReader, imagesPath: string, labelsPath: string): Promise<ImageSplit> {
  const [img, lab] = await Promise.all([readIdx(read, imagesPath, 3), readIdx(read, labelsPath, 1)]);
  const [n, h, w] = img.dims;
  if (h !== FASHION_MNIST_SIDE || w !== FASHION_MNIST_SIDE) throw new Error(`${imagesPath}: expected 28×28 images, found ${h}×${w}`);
  if (lab.dims[0] !== n) throw new Error(`${labelsPath}: label count ${lab.dims[0]} does not match image count ${n} in ${imagesPath}`);
  for (let i = 0; i < n; i++) {
    if (lab.data[i] >= 10) throw new Error(`${labelsPath}: label ${lab.data[i]} at index ${i} is out of range: expected 0..9`);
  }
  return { images: img.data, labels: lab.data, count: n };
}

/** Fashion-MNIST subset: 28×28, 1 channel. Rejects corrupt, truncated or inconsistent files with a message naming the file. */
export async function loadFashionMnist(read: AssetReader): Promise<Dataset> {
  const f = FASHION_MNIST_FILES;
  const [train, test] = await Promise.all([loadSplit(read, f.trainImages, f.trainLabels), loadSplit(read, f.testImages, f.testLabels)]);
  return { name: 'fashion-mnist', height: FASHION_MNIST_SIDE, width: FASHION_MNIST_SIDE, channels: 1, classNames: [...FASHION_MNIST_CLASSES], train, test };
}
