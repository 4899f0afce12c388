// Tests for the strict IDX parser: valid round trips and each rejection with its specific message.
import { describe, expect, it } from 'vitest';
import { encodeIdx, parseIdx } from '../../../src/engine/data/idx';

/** A hand-built IDX file: magic bytes, big-endian dims, payload. */
function idx(magic: [number, number, number, number], dims: number[], payload: number[]): Uint8Array {
  const out: number[] = [...magic];
  for (const d of dims) out.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return new Uint8Array([...out, ...payload]);
}

describe('parseIdx', () => {
  const images = idx([0, 0, 8, 3], [2, 2, 3], [...Array(12).keys()]);
  const labels = idx([0, 0, 8, 1], [3], [7, 0, 9]);

  it('parses images and labels', () => {
    const im = parseIdx(images, { ndims: 3 });
    expect(im.dims).toEqual([2, 2, 3]);
    expect(Array.from(im.data)).toEqual([...Array(12).keys()]);
    const lb = parseIdx(labels, { ndims: 1 });
    expect(lb.dims).toEqual([3]);
    expect(Array.from(lb.data)).toEqual([7, 0, 9]);
  });

  it('reads dimensions above 255 as big-endian 32-bit', () => {
    const big = idx([0, 0, 8, 1], [300], new Array(300).fill(1));
    expect(parseIdx(big).dims).toEqual([300]);
  });

  it('round-trips encodeIdx', () => {
    const data = Uint8Array.from({ length: 4 * 5 * 6 }, (_, i) => (i * 37) & 255);
    const enc = encodeIdx([4, 5, 6], data);
    expect(Array.from(enc.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    expect(parseIdx(enc, { ndims: 3 })).toEqual({ dims: [4, 5, 6], data });
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow(/need 4/);
  });

  it('rejects a wrong magic number (nonzero leading bytes), naming expected and found', () => {
    const bad = images.slice();
    bad[0] = 0x1f; // e.g. still-gzipped input
    bad[1] = 0x8b;
    expect(() => parseIdx(bad, { ndims: 3, name: 'x.idx3' })).toThrow(
      'x.idx3: bad IDX magic number: expected 0x00000803 (unsigned byte, 3 dims), found 0x1f8b0803',
    );
  });

  it('rejects a non-byte data type', () => {
    const bad = idx([0, 0, 0x0d, 1], [3], new Array(12).fill(0));
    expect(() => parseIdx(bad, { ndims: 1 })).toThrow('expected 0x08 (unsigned byte), found 0x0d (float32)');
  });

  it('rejects labels where images are expected (dimension count)', () => {
    expect(() => parseIdx(labels, { ndims: 3 })).toThrow('wrong IDX dimension count in magic 0x00000801: expected 3 (magic 0x00000803), found 1');
  });

  it('rejects truncated data with the exact expected and found lengths', () => {
    expect(() => parseIdx(images.subarray(0, images.length - 1), { ndims: 3 })).toThrow(
      'IDX data truncated: expected 28 bytes (16-byte header + 2×2×3 = 12 data bytes), found 27',
    );
  });

  it('rejects oversized data', () => {
    const over = new Uint8Array(images.length + 5);
    over.set(images);
    expect(() => parseIdx(over, { ndims: 3 })).toThrow('IDX data oversized: expected 28 bytes (16-byte header + 2×2×3 = 12 data bytes), found 33');
  });

  it('rejects a truncated header and tiny input', () => {
    expect(() => parseIdx(images.subarray(0, 10), { ndims: 3 })).toThrow('IDX header truncated: expected 16 bytes (magic + 3 dimension sizes), found 10');
    expect(() => parseIdx(new Uint8Array([0, 0]), { ndims: 1 })).toThrow('expected at least a 4-byte magic number 0x00000801 (unsigned byte, 1 dim), found 2 byte(s)');
  });

  it('returns a copy, not a view of the input', () => {
    const src = labels.slice();
    const { data } = parseIdx(src);
    src[8] = 123;
    expect(data[0]).toBe(7);
  });
});
