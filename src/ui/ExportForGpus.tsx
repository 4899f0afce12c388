// "Export for GPUs": the current applied configuration as a shell script for the reference
// PyTorch implementation (solo-learn-sparse) plus MAPPING.md, the same files as
// `npm run export -- --to solo-learn-sparse`. One click downloads one zip holding both
// (pretrain.sh executable): browsers ask before a second download from one click, or drop
// it, and MAPPING.md says what does not carry over. Disabled, with the reason as its tooltip, for what the reference cannot
// run (CDG: no public implementation; SimCLR with SyncCP).
import { useMemo, useState } from 'react';
import type { Config } from '../engine/config';
import { REF_DATASETS, REFERENCE, type RefDataset } from '../engine/export/reference';
import { exportSoloLearnSparse, ExportRefusal, type ExportResult } from '../engine/export/soloLearnSparse';
import { downloadBytes } from '../store/download';
import { gpuExportZip, GPU_EXPORT_ZIP } from '../engine/export/gpuExportZip';
import { useSettings } from '../store/settings';

const GPU_CHOICES = [1, 2, 4, 8];
const DATASET_LABELS: Record<RefDataset, string> = { cifar10: 'CIFAR-10', imagenet: 'ImageNet' };


/** `config` overrides the store's applied config (tests render it in Node, where the store's server snapshot is its initial state). */
export function ExportForGpus({ config }: { config?: Config }) {
  const storeApplied = useSettings((s) => s.applied);
  const applied = config ?? storeApplied;
  const preset = useSettings((s) => s.preset);
  const importedName = useSettings((s) => s.importedName);
  const [dataset, setDataset] = useState<RefDataset>('cifar10');
  const [gpus, setGpus] = useState(8);

  const outcome = useMemo((): { result: ExportResult } | { refused: string } => {
    try {
      const source = importedName ? `the app (imported ${importedName}, as edited)` : `the app (preset ${preset}, as edited)`;
      return { result: exportSoloLearnSparse(applied, { dataset, gpus, source }) };
    } catch (e) {
      if (e instanceof ExportRefusal || e instanceof RangeError) return { refused: e.message };
      throw e;
    }
  }, [applied, dataset, gpus, preset, importedName]);

  const refused = 'refused' in outcome ? outcome.refused : undefined;
  const title = refused
    ? refused
    : `Download ${GPU_EXPORT_ZIP} (pretrain.sh and MAPPING.md): this configuration for ${REFERENCE.name} (PyTorch) on ${gpus} GPU${gpus > 1 ? 's' : ''}, ${DATASET_LABELS[dataset]}. MAPPING.md says what does not carry over.`;

  return (
    <span className="export-gpus" style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}>
      <select aria-label="Dataset for the GPU export" data-testid="export-gpus-dataset" value={dataset} onChange={(e) => setDataset(e.target.value as RefDataset)}>
        {REF_DATASETS.map((d) => (
          <option key={d} value={d}>
            {DATASET_LABELS[d]}
          </option>
        ))}
      </select>
      <select aria-label="GPUs for the GPU export" data-testid="export-gpus-count" value={gpus} onChange={(e) => setGpus(Number(e.target.value))}>
        {GPU_CHOICES.map((g) => (
          <option key={g} value={g}>
            {g} GPU{g > 1 ? 's' : ''}
          </option>
        ))}
      </select>
      {/* a disabled button gets no hover events in some browsers: the wrapper carries the tooltip too */}
      <span title={title}>
        <button
          className="btn btn-ghost"
          data-testid="export-gpus"
          disabled={refused !== undefined}
          title={title}
          aria-describedby={refused !== undefined ? 'export-gpus-why' : undefined}
          onClick={() => {
            if (!('result' in outcome)) return;
            downloadBytes(GPU_EXPORT_ZIP, gpuExportZip(outcome.result), 'application/zip');
          }}
        >
          Export for GPUs
        </button>
      </span>
      {/* Why it is off, for a screen reader (a disabled button takes no focus, and its title is a tooltip only). */}
      {refused !== undefined && (
        <span id="export-gpus-why" className="sr-only" data-testid="export-gpus-why">
          {refused}
        </span>
      )}
    </span>
  );
}
