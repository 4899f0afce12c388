// The checksums a zip records, read from its central directory, against CRC-32's published
// check value (CRC-32 of "123456789" is 0xCBF43926) and against a changed entry.
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { damagedEntry, zipChecksums } from '../../../src/engine/state/zipChecksums';

describe('zip checksums', () => {
  it('reads each entry\'s recorded CRC-32, stored or deflated', () => {
    const zip = zipSync({ 'check.txt': [strToU8('123456789'), { level: 0 }], 'd/e.txt': [strToU8('123456789'), { level: 9 }], 'empty.bin': new Uint8Array(0) });
    const sums = zipChecksums(zip)!;
    expect(sums.get('check.txt')).toBe(0xcbf43926);
    expect(sums.get('d/e.txt')).toBe(0xcbf43926);
    expect(sums.get('empty.bin')).toBe(0);
    expect(damagedEntry(zip, { 'check.txt': strToU8('123456789'), 'empty.bin': new Uint8Array(0) })).toBeUndefined();
    expect(damagedEntry(zip, { 'check.txt': strToU8('123456780') })).toBe('check.txt');
    // A file the zip does not list is not judged here (the readers name missing files themselves).
    expect(damagedEntry(zip, { 'other.txt': strToU8('x') })).toBeUndefined();
  });

  it('no directory (not a zip, or cut short): nothing to compare, no throw', () => {
    expect(zipChecksums(strToU8('not a zip at all, just text'))).toBeUndefined();
    const zip = zipSync({ 'a.txt': strToU8('hello') });
    expect(zipChecksums(zip.subarray(0, zip.length - 10))).toBeUndefined();
    expect(zipChecksums(new Uint8Array(0))).toBeUndefined();
  });
});
