// JSON that keeps typed arrays (panel state: heatmaps, pattern grids, images, read-back
// metrics): each becomes {"$typed": its type, "b64": its bytes} and comes back as the
// same type. Only the types listed are accepted back.
import { fromBase64, toBase64 } from '../runFile';

const TYPES = {
  Uint8Array,
  Uint8ClampedArray,
  Int8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
} as const;
type TypeName = keyof typeof TYPES;

export function typedReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypeName;
    if (name in TYPES) return { $typed: name, b64: toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  }
  return value;
}

export function typedReviver(_key: string, value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as { $typed?: unknown; b64?: unknown };
  if (typeof v.$typed !== 'string' || typeof v.b64 !== 'string' || Object.keys(v).length !== 2) return value;
  const T = TYPES[v.$typed as TypeName];
  if (!T) throw new Error(`unknown array type ${v.$typed}`);
  const bytes = fromBase64(v.b64);
  if (bytes.length % T.BYTES_PER_ELEMENT !== 0) throw new Error(`a ${v.$typed} of ${bytes.length} bytes (not a multiple of ${T.BYTES_PER_ELEMENT})`);
  return new T(bytes.buffer as ArrayBuffer);
}

/** A JSON-compatible copy of `value` with its typed arrays encoded (for embedding in run.json). */
export function encodeTyped(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, typedReplacer));
}

/** Undo encodeTyped. */
export function decodeTyped(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), typedReviver);
}
