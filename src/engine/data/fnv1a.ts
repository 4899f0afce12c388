// FNV-1a, 32 bits, over byte arrays in order: a cheap fingerprint to tell sets of bytes apart
// (the same image given twice, the images a saved run trained on). Not cryptographic.

export function fnv1a(parts: readonly Uint8Array[]): string {
  let h = 0x811c9dc5;
  for (const bytes of parts)
    for (let i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193);
    }
  return (h >>> 0).toString(16).padStart(8, '0');
}
