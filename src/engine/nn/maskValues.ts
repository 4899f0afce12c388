// The host copy of a weight mask tensor, where its maker has one (SyncCP builds its masks
// from Uint8Arrays on the CPU). On a GPU backend the tensor's values live on the device
// and reading them back would stall a step (and dataSync is unavailable in Node's WebGPU):
// the sparse kernels read a mask's layout from here instead. Weak: the entry goes with the tensor.
import type * as tf from '@tensorflow/tfjs';

const values = new WeakMap<tf.Tensor, ArrayLike<number>>();

/** Records `keep` as the values of `mask` (row-major, any nonzero keeps); returns the mask. */
export function rememberMaskValues<T extends tf.Tensor>(mask: T, keep: ArrayLike<number>): T {
  if (keep.length !== mask.size) throw new Error(`rememberMaskValues: ${keep.length} values for a mask of ${mask.size}`);
  values.set(mask, keep);
  return mask;
}

/** The host values of a mask, if its maker recorded them. */
export function maskValuesOf(mask: tf.Tensor): ArrayLike<number> | undefined {
  return values.get(mask);
}
