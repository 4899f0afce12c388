// Dataset entry point: pick a dataset by name, optionally cut it to a balanced size.
import { loadFashionMnist } from './fashionMnist';
import { makeShapes } from './shapes';
import { pickImages, type AssetReader, type Dataset, type ImageSplit } from './types';

export * from './types';
export * from './batchTensor';
export { parseIdx, encodeIdx } from './idx';
export type { IdxArray, ParseIdxOptions } from './idx';
export { gunzip } from './gunzip';
export { makeShapes, makeShapesWithMasks, SHAPE_CLASSES } from './shapes';
export type { ShapesOptions, ShapeMasks } from './shapes';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, FASHION_MNIST_DIR } from './fashionMnist';

export { readOwnData, OwnDataError, OWN_DATA_LIMITS, IMAGE_LIMITS, EMPTY_MESSAGE, CIFAR10_CLASSES } from './ownData';
export type { OwnFile, ImageDecoder, DecodedImage } from './ownData';

export type DatasetName = Dataset['name'];
export const DATASET_NAMES: readonly DatasetName[] = ['shapes', 'fashion-mnist', 'own'];

/** Default sizes of the generated shapes dataset. */
export const SHAPES_DEFAULT_TRAIN = 4000;
export const SHAPES_DEFAULT_TEST = 1000;

export interface LoadDatasetOptions {
  /** Seeds the shapes generator; fashion-mnist is fixed data and ignores it. */
  seed: number;
  /** Needed for fashion-mnist. */
  read?: AssetReader;
  /** Shapes: how many to generate. Fashion-MNIST: keep a balanced subset of this many (the config refuses more than FASHION_MNIST_COUNTS). */
  trainCount?: number;
  testCount?: number;
}

export async function loadDataset(name: DatasetName, opts: LoadDatasetOptions): Promise<Dataset> {
  if (name === 'shapes') {
    return makeShapes({ seed: opts.seed, trainCount: opts.trainCount ?? SHAPES_DEFAULT_TRAIN, testCount: opts.testCount ?? SHAPES_DEFAULT_TEST });
  }
  if (name === 'fashion-mnist') {
    if (!opts.read) throw new Error('loadDataset("fashion-mnist"): an AssetReader (opts.read) is required to load the shipped files');
    const ds = await loadFashionMnist(opts.read);
    const per = ds.height * ds.width * ds.channels;
    return {
      ...ds,
      train: opts.trainCount === undefined ? ds.train : takeBalanced(ds.train, opts.trainCount, per, 10),
      test: opts.testCount === undefined ? ds.test : takeBalanced(ds.test, opts.testCount, per, 10),
    };
  }
  if (name === 'own') throw new Error('own data is uploaded in the app (Your own data, in the Data panel); the CLI trains on shapes or fashion-mnist');
  throw new Error(`loadDataset: unknown dataset "${String(name)}": expected one of ${DATASET_NAMES.join(', ')}`);
}

/**
 * The first images of each class in stored order, `count` in total, classes differing
 * by at most one (lower class indices get the remainder). Keeps the stored order.
 */
export function takeBalanced(split: ImageSplit, count: number, perImage: number, numClasses: number): ImageSplit {
  if (!(Number.isInteger(count) && count >= 0)) throw new Error(`takeBalanced: count must be a non-negative integer, got ${count}`);
  if (count >= split.count) return split;
  const quota = Array.from({ length: numClasses }, (_, c) => Math.floor(count / numClasses) + (c < count % numClasses ? 1 : 0));
  const keep: number[] = [];
  for (let i = 0; i < split.count && keep.length < count; i++) {
    const l = split.labels[i];
    if (quota[l] > 0) {
      quota[l]--;
      keep.push(i);
    }
  }
  return pickImages(split, keep, perImage);
}
