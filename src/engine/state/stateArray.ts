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

/** Read many tensors in one batch of readbacks (no dataSync: WebGPU would block). */
export async function readArrays(tensors: Record<string, tf.Tensor>): Promise<Record<string, StateArray>> {
  const names = Object.keys(tensors);
  const datas = await Promise.all(names.map((n) => tensors[n].data()));
  const out: Record<string, StateArray> = {};
  names.forEach((n, i) => {
    const t = tensors[n];
    const dtype = t.dtype as StateDtype;
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') throw new Error(`state: ${n} has dtype ${t.dtype}, which a saved run cannot hold`);
    const d = datas[i];
    // Copies: a readback may share its buffer with the backend's cache.
    const data = dtype === 'float32' ? Float32Array.from(d as Float32Array) : dtype === 'int32' ? Int32Array.from(d as Int32Array) : Uint8Array.from(d as Uint8Array);
    out[n] = { shape: [...t.shape], dtype, data };
  });
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
