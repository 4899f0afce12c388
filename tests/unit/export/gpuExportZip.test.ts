// Export for GPUs is one download: a zip holding pretrain.sh (executable) and MAPPING.md with
// exactly the texts the exporter made.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { GPU_EXPORT_ZIP, gpuExportZip } from '../../../src/engine/export/gpuExportZip';

/** Each entry's name and Unix mode, read from the zip's central directory (PKWARE APPNOTE 4.3.12). */
function modes(zip: Uint8Array): Record<string, number> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: Record<string, number> = {};
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (v.getUint32(i, true) !== 0x02014b50) continue;
    const nameLen = v.getUint16(i + 28, true);
    const external = v.getUint32(i + 38, true);
    out[strFromU8(zip.subarray(i + 46, i + 46 + nameLen))] = (external >>> 16) & 0o777;
  }
  return out;
}

describe('the GPU export zip', () => {
  it('holds the script and the mapping as made, the script executable', () => {
    const zip = gpuExportZip({ script: '#!/usr/bin/env bash\necho pretrain\n', mapping: '# Mapping\nwhat does not carry over\n' });
    expect(GPU_EXPORT_ZIP).toMatch(/\.zip$/);
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['gpu-run/MAPPING.md', 'gpu-run/pretrain.sh']);
    expect(strFromU8(files['gpu-run/pretrain.sh'])).toBe('#!/usr/bin/env bash\necho pretrain\n');
    expect(strFromU8(files['gpu-run/MAPPING.md'])).toBe('# Mapping\nwhat does not carry over\n');
    expect(modes(zip)).toEqual({ 'gpu-run/pretrain.sh': 0o755, 'gpu-run/MAPPING.md': 0o644 });
  });
});
