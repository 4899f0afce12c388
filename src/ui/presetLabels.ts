// The presets as the Preset select names them: hints elsewhere (a panel that does not apply)
// name a preset by the same words, not by its id, which the select does not show.
import type { PresetName } from '../engine/config';

export const PRESET_LABELS: Record<PresetName, string> = {
  'simclr-dense': 'SimCLR, dense',
  'byol-dense': 'BYOL, dense',
  cdg: 'CDG: contrastive dual gating',
  'syncp-unstructured': 'SyncCP: unstructured',
  'syncp-channel': 'SyncCP: channels',
  'syncp-2of4': 'SyncCP: 2:4',
  'syncp-reference': 'SyncCP: the reference code’s defaults',
};
