// The page's "Export for GPUs" as one zip: pretrain.sh (executable) and MAPPING.md, the files
// `npm run export -- --to solo-learn-sparse` writes. One download: a browser asks before a
// second one from the same click, or drops it.
import { strToU8, zipSync } from 'fflate';
import type { ExportResult } from './soloLearnSparse';

export const GPU_EXPORT_ZIP = 'gpu-run.zip';

/** Unix mode bits in a zip entry's external attributes (high 16 bits), made by Unix (os 3). */
const unixMode = (mode: number) => ({ os: 3, attrs: ((0o100000 | mode) << 16) >>> 0 });

export function gpuExportZip(r: Pick<ExportResult, 'script' | 'mapping'>): Uint8Array {
  return zipSync({
    'gpu-run/pretrain.sh': [strToU8(r.script), unixMode(0o755)],
    'gpu-run/MAPPING.md': [strToU8(r.mapping), unixMode(0o644)],
  });
}
