// fflate inflates a zip without checking the CRC-32 each entry carries, and run.zip stores
// weights.bin uncompressed: a damaged byte there (an interrupted copy, a bad disk) keeps the
// file's size, so every later check passes and the run continues from wrong weights. The
// checksums come from the zip's central directory (read here: fflate does not expose them),
// the CRC itself from crc-32.
import CRC32 from 'crc-32';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

/** The CRC-32 the central directory records for each entry, by name (undefined: no directory found). */
export function zipChecksums(bytes: Uint8Array): Map<string, number> | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of at most 65,535.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) return undefined;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out = new Map<string, number>();
  const names = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) return undefined;
    const crc = view.getUint32(at + 16, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    out.set(names.decode(bytes.subarray(at + 46, at + 46 + nameLength)), crc);
    at += 46 + skip;
  }
  return out;
}

/** The name of the first file whose bytes do not match the checksum its zip records, if any. */
export function damagedEntry(zip: Uint8Array, files: Record<string, Uint8Array>): string | undefined {
  const sums = zipChecksums(zip);
  if (!sums) return undefined;
  for (const [name, data] of Object.entries(files)) {
    const want = sums.get(name);
    if (want !== undefined && CRC32.buf(data) >>> 0 !== want) return name;
  }
  return undefined;
}
