// Strict reader and writer for IDX files (the MNIST container format), unsigned-byte data only.

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export interface ParseIdxOptions {
  /** Required number of dimensions: 3 for images (magic 0x00000803), 1 for labels (0x00000801). */
  ndims?: number;
  /** Name used in error messages, e.g. the file path. */
  name?: string;
}

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

const hex = (n: number, w: number) => '0x' + (n >>> 0).toString(16).padStart(w, '0');

/**
 * Parses IDX bytes. Rejects, with a message stating what was expected and what was
 * found: a header shorter than declared, a magic whose first two bytes are not zero,
 * a data type other than unsigned byte, a dimension count other than `ndims`, and a
 * payload that is shorter or longer than the product of the dimensions.
 */
export function parseIdx(bytes: Uint8Array, opts: ParseIdxOptions = {}): IdxArray {
  const name = opts.name ? `${opts.name}: ` : '';
  const want = opts.ndims;
  const expectMagic = want === undefined ? '0x000008NN (unsigned byte, NN dims)' : `${hex(0x800 | want, 8)} (unsigned byte, ${want} dim${want === 1 ? '' : 's'})`;
  if (bytes.length < 4) {
    throw new Error(`${name}IDX too short: expected at least a 4-byte magic number ${expectMagic}, found ${bytes.length} byte(s)`);
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}bad IDX magic number: expected ${expectMagic}, found ${hex(magic, 8)} (first two bytes must be zero; is this an IDX file?)`);
  }
  const type = bytes[2];
  if (type !== UBYTE) {
    throw new Error(`${name}unsupported IDX data type in magic ${hex(magic, 8)}: expected ${hex(UBYTE, 2)} (unsigned byte), found ${hex(type, 2)} (${TYPE_NAMES[type] ?? 'unknown type'})`);
  }
  const ndims = bytes[3];
  if (want !== undefined && ndims !== want) {
    throw new Error(`${name}wrong IDX dimension count in magic ${hex(magic, 8)}: expected ${want} (magic ${hex(0x800 | want, 8)}), found ${ndims}`);
  }
  if (ndims === 0) throw new Error(`${name}IDX declares 0 dimensions: expected at least 1`);
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new Error(`${name}IDX header truncated: expected ${header} bytes (magic + ${ndims} dimension sizes), found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let total = 1;
  for (let k = 0; k < ndims; k++) {
    const d = view.getUint32(4 + 4 * k, false); // IDX is big-endian
    dims.push(d);
    total *= d;
  }
  const expected = header + total;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'oversized';
    throw new Error(`${name}IDX data ${what}: expected ${expected} bytes (${header}-byte header + ${dims.join('×')} = ${total} data bytes), found ${bytes.length}`);
  }
  return { dims, data: bytes.slice(header) };
}

/** Encodes unsigned-byte data as IDX (used by the conversion script; inverse of parseIdx). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const total = dims.reduce((a, b) => a * b, 1);
  if (data.length !== total) throw new Error(`encodeIdx: data has ${data.length} bytes, dims ${dims.join('×')} need ${total}`);
  if (dims.length < 1 || dims.length > 255) throw new Error(`encodeIdx: 1..255 dims supported, got ${dims.length}`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + total);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length, false);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  out.set(data, header);
  return out;
}
