// A tensor's value as host data: what a saved run holds (structured-cloneable, so it goes
// through postMessage and IndexedDB as it is, and into tf.io's weights.bin byte for byte).
// No tfjs here (the page reads saved runs); stateTensors.ts converts to and from tensors.

export type StateDtype = 'float32' | 'int32' | 'bool';

export interface StateArray {
  shape: number[];
  dtype: StateDtype;
  data: Float32Array | Int32Array | Uint8Array;
}

/** Bytes per entry in tf.io's weights.bin layout. */
export const DTYPE_BYTES: Record<StateDtype, number> = { float32: 4, int32: 4, bool: 1 };

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

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
