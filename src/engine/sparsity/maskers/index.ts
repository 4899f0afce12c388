// The masker of a SyncCP config's granularity.
import type { SyncCPConfig } from '../../config';
import { channelMasker } from './channel';
import type { Masker } from './masker';
import { nmMasker } from './nm';
import { unstructuredMasker } from './unstructured';

export type { Masker, MaskerInput, MaskPair, Shape4 } from './masker';

export function maskerFor(cfg: Pick<SyncCPConfig, 'granularity' | 'layerBudget' | 'n' | 'm'>): Masker {
  switch (cfg.granularity) {
    case 'nm':
      return nmMasker(cfg.n, cfg.m);
    case 'channel':
      return channelMasker(cfg.layerBudget);
    default:
      return unstructuredMasker(cfg.layerBudget);
  }
}
