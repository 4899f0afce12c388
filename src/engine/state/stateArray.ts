// A tensor's value as host data: what a saved run holds (structured-cloneable, so it goes
// through postMessage and IndexedDB as it is, and into tf.io's weights.bin byte for byte).
import * as tf from '@tensorflow/tfjs';

export type StateDtype = 'float32' | 'int32' | 'bool';

export interface StateArray {
  shape: number[];
  dtype: StateDtype;
  data: Float32Array | Int32Array | Uint8Array;
}

/** Bytes per entry in tf.io's weights.bin layout. */
export const DTYPE_BYTES: Record<StateDtype, number> = { float32: 4, int32: 4, bool: 1 };

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

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

/** Throws a message naming the entry and both shapes when `a` is missing or does not fit `shape`. */
export function expectArray(arrays: Record<string, StateArray>, name: string, shape: readonly number[], dtype: StateDtype = 'float32'): StateArray {
  const a = arrays[name];
  if (!a) throw new Error(`saved state has no ${name} (this run's config needs it: was the state saved from another config?)`);
  const same = a.shape.length === shape.length && a.shape.every((d, i) => d === shape[i]);
  if (!same) throw new Error(`saved state: ${name} has shape [${a.shape}], this run needs [${shape}]`);
  if (a.dtype !== dtype) throw new Error(`saved state: ${name} is ${a.dtype}, this run needs ${dtype}`);
  if (a.data.length !== sizeOf(shape)) throw new Error(`saved state: ${name} has ${a.data.length} values, its shape [${shape}] needs ${sizeOf(shape)}`);
  return a;
}
