// JSON that keeps typed arrays (panel state: heatmaps, read-back metrics): a Uint8Array
// or Float32Array becomes {"$u8"|"$f32": base64} and comes back as the same type.
import { fromBase64, toBase64 } from '../runFile';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function typedReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array || value instanceof Uint8ClampedArray) return { $u8: toBase64(bytesOf(value)) };
  if (value instanceof Float32Array) return { $f32: toBase64(bytesOf(value)) };
  return value;
}

export function typedReviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    if (keys.length === 1 && typeof v.$u8 === 'string') return fromBase64(v.$u8);
    if (keys.length === 1 && typeof v.$f32 === 'string') {
      const b = fromBase64(v.$f32);
      if (b.length % 4 !== 0) throw new Error('a float32 array in the file has a byte count that is not a multiple of 4');
      return new Float32Array(b.buffer);
    }
  }
  return value;
}

/** A JSON-compatible copy of `value` with its typed arrays encoded (for embedding in run.json). */
export function encodeTyped(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, typedReplacer));
}

/** Undo encodeTyped. */
export function decodeTyped(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), typedReviver);
}
