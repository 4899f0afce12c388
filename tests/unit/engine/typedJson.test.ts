// run.json's replay keeps typed arrays through JSON: each comes back as the same type with the same values.
import { describe, expect, it } from 'vitest';
import { decodeTyped, encodeTyped } from '../../../src/engine/state/typedJson';

describe('typed JSON', () => {
  it('round-trips every typed array the panels use, nested, and plain values as they are', () => {
    const value = {
      rgba: new Uint8ClampedArray([0, 128, 255, 255]),
      ids: new Int16Array([-3, 0, 7]),
      cells: new Uint8Array([1, 0, 1]),
      metrics: { d: new Float32Array([0.25, Number.NaN, -1.5]) },
      list: [{ step: 3, m: new Float32Array([1e-7]) }],
      text: 'x',
      n: null,
    };
    const json = JSON.stringify(encodeTyped(value));
    const back = decodeTyped(JSON.parse(json)) as typeof value;
    expect(back.rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(back.ids).toBeInstanceOf(Int16Array);
    expect(back.metrics.d).toBeInstanceOf(Float32Array);
    expect(back).toEqual(value);
  });

  it('refuses an unknown array type or a byte count that does not fit the type', () => {
    expect(() => decodeTyped({ a: { $typed: 'BigInt64Array', b64: 'AAAAAAAAAAA=' } })).toThrow(/unknown array type BigInt64Array/);
    expect(() => decodeTyped({ a: { $typed: 'Float32Array', b64: 'AAA=' } })).toThrow(/not a multiple of 4/);
  });
});
