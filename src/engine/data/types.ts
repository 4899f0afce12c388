// Dataset types shared by every loader, and the CPU→tensor batch helper.
import * as tf from '@tensorflow/tfjs';

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

export interface BatchOptions {
  /** Resize to size×size (bilinear), e.g. 16 for --tiny. Omit to keep the stored size. */
  size?: number;
}

/**
 * Gather `indices` of a split into one float32 tensor [B, H, W, C] in [0, 1].
 * The gather happens on the CPU into one Uint8Array so there is a single upload.
 */
export function batchTensor(split: ImageSplit, indices: number[], dims: ImageDims, opts: BatchOptions = {}): tf.Tensor4D {
  const { height: h, width: w, channels: c } = dims;
  const per = h * w * c;
  if (split.images.length !== split.count * per) {
    throw new Error(`batchTensor: split has ${split.images.length} bytes, expected count×H×W×C = ${split.count}×${h}×${w}×${c} = ${split.count * per}`);
  }
  const buf = new Uint8Array(indices.length * per);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b];
    if (!Number.isInteger(i) || i < 0 || i >= split.count) {
      throw new Error(`batchTensor: index ${i} at position ${b} is out of range [0, ${split.count})`);
    }
    buf.set(split.images.subarray(i * per, (i + 1) * per), b * per);
  }
  const size = opts.size;
  if (size !== undefined && !(Number.isInteger(size) && size > 0)) {
    throw new Error(`batchTensor: size must be a positive integer, got ${size}`);
  }
  return tf.tidy(() => {
    const x = tf.div(tf.cast(tf.tensor4d(buf, [indices.length, h, w, c], 'int32'), 'float32'), 255) as tf.Tensor4D;
    if (size === undefined || (size === h && size === w)) return x;
    // halfPixelCenters: a 2× downscale then averages exact 2×2 blocks instead of sampling every other pixel.
    return tf.image.resizeBilinear(x, [size, size], false, true);
  });
}

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
