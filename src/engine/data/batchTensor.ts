// The CPU→tensor batch helper: the one tfjs use of the datasets, kept apart from types.ts
// so that the page (which imports the dataset types) does not load tfjs.
import * as tf from '@tensorflow/tfjs';
import type { ImageDims, ImageSplit } from './types';

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
