// Tensors ↔ StateArrays: the tfjs side of a saved run's values, kept apart from
// stateArray.ts so that the page (which reads run files) does not load tfjs.
import * as tf from '@tensorflow/tfjs';
import type { StateArray, StateDtype } from './stateArray';

/**
 * Read many tensors with one readback: float32 and bool tensors are packed into one
 * float32 buffer on the backend (0/1 are exact), so WebGPU maps one buffer instead of one
 * per tensor; int32 ones (none today) are read on their own, where float32 would round.
 */
export async function readArrays(tensors: Record<string, tf.Tensor>): Promise<Record<string, StateArray>> {
  const names = Object.keys(tensors);
  for (const n of names) {
    const d = tensors[n].dtype;
    if (d !== 'float32' && d !== 'int32' && d !== 'bool') throw new Error(`state: ${n} has dtype ${d}, which a saved run cannot hold`);
  }
  const packedNames = names.filter((n) => tensors[n].dtype !== 'int32');
  const out: Record<string, StateArray> = {};
  if (packedNames.length) {
    const packed = tf.tidy(() => tf.concat(packedNames.map((n) => tensors[n].reshape([-1]).cast('float32'))));
    let data: Float32Array;
    try {
      data = (await packed.data()) as Float32Array;
    } finally {
      packed.dispose();
    }
    let off = 0;
    for (const n of packedNames) {
      const t = tensors[n];
      const part = data.subarray(off, off + t.size);
      off += t.size;
      out[n] = { shape: [...t.shape], dtype: t.dtype as StateDtype, data: t.dtype === 'bool' ? Uint8Array.from(part) : part.slice() };
    }
  }
  for (const n of names.filter((x) => tensors[x].dtype === 'int32')) {
    out[n] = { shape: [...tensors[n].shape], dtype: 'int32', data: Int32Array.from((await tensors[n].data()) as Int32Array) };
  }
  return out;
}

export function toTensor(a: StateArray): tf.Tensor {
  return tf.tensor(a.data, a.shape, a.dtype);
}
