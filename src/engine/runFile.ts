// run.json: what a run leaves behind (config, metrics history, final masks and gates),
// written by the CLI's --out and the UI's export, read back by the UI's import.
// Masks: base64 of a Uint8Array of 0/1 in tfjs row-major order of the kernel shape.
// Version 2 adds `state` (what a resume needs besides the tensors, which an export writes
// to model.json + weights.bin beside it) and `replay` (the panels' rows and histories).
// Version 1 files still import (migrateRunFile): their history is replayed, they cannot be
// continued. The types are the schemas' (z.infer), so what is read is what is written.
import { z } from 'zod';
import { ConfigError, parseSavedConfig, type Config } from './config';
import type { ExportedMask } from './plugin';

export const RUN_FILE_VERSION = 2;

/** The largest run.json accepted: far above a default run's (~1 MB), far below what would stall the page. */
export const MAX_RUN_FILE_BYTES = 32 * 1024 * 1024;
const MAX_HISTORY_ROWS = 1_000_000;
const MAX_MASK_LAYERS = 256;

const unit = z.number().min(0).max(1);

/** kNN accuracy a run is read against: its network before training, and raw pixels. */
export const BaselinesSchema = z.object({ untrained: unit, rawPixels: unit });
export type Baselines = z.infer<typeof BaselinesSchema>;

/** A value per mask slot: 'online' the sparser branch, 'target' the denser (plugin.ts MaskSlot). */
const BranchPairSchema = z.object({ online: z.number(), target: z.number() });
/** Per layer (conv name) and branch. */
const PerLayerSchema = z.record(z.string(), BranchPairSchema);

/** Statistics of one SyncCP mask update, per prunable conv (no masks: cheap to send every time). */
export const MaskUpdateSchema = z.object({
  /** The step, as rows number steps (the first is 1), whose forward first used the new masks. */
  step: z.number().int().min(0),
  layers: z.array(
    z.object({
      name: z.string(),
      /** Mask entries that changed at this update, per branch. */
      flips: BranchPairSchema,
      /** Fraction of the online mask's ones also kept by the target. */
      nested: z.number(),
      iou: z.number(),
      /** N:M only: fraction of full groups that are N:M, per branch. */
      nmFraction: BranchPairSchema.nullable(),
    }),
  ),
});
export type MaskUpdate = z.infer<typeof MaskUpdateSchema>;

/**
 * A logged row (CLI --json line, run.json history, the page's charts). The step-0 row of
 * the untrained network has `step` and `knn` only; a trained step's row has at least
 * loss, lr and flops (StepRow). Unknown fields are dropped when a file is read.
 */
export const MetricsRowSchema = z.object({
  step: z.number().int().min(0),
  loss: z.number().optional(),
  /** The learning rate of the step. */
  lr: z.number().optional(),
  /** Wall time of the step including its readback, ms. */
  ms: z.number().optional(),
  /** kNN top-1 accuracy in [0, 1], on steps where the monitor ran. */
  knn: unit.optional(),
  /**
   * Training FLOPs of one step in the conv and linear layers (all branches). `pass`: what the
   * step's extra gradient passes (SyncCP regrowth, on update steps) cost, part of `effective`:
   * a row that stands for several steps counts it once (flopsOverSteps).
   */
  flops: z.object({ dense: z.number(), effective: z.number(), pass: z.number().optional() }).optional(),
  /** SyncCP: measured weight density per prunable conv and branch. */
  density: PerLayerSchema.optional(),
  /** CDG: measured gate density of the conditional path per gated conv and branch. */
  gateDensity: PerLayerSchema.optional(),
  /** CDG: the scheduled target gate density at this step. */
  gateTarget: z.number().optional(),
  /** SyncCP, the page's rows: present on the first row after a mask update, with its statistics. */
  update: MaskUpdateSchema.optional(),
});
export type MetricsRow = z.infer<typeof MetricsRowSchema>;

/**
 * FLOPs of the `steps` steps a row stands for (the row's own and those since the row before,
 * when rows were logged or thinned every few steps): every step like the row's, except its
 * extra gradient pass, which only the row's own step ran.
 */
export function flopsOverSteps(flops: NonNullable<MetricsRow['flops']>, steps: number): { dense: number; effective: number } {
  const pass = flops.pass ?? 0;
  return { dense: steps * flops.dense, effective: steps * (flops.effective - pass) + pass };
}

/** The row of a trained step (Trainer.row): what the step-0 row lacks is there. */
export type StepRow = MetricsRow & Required<Pick<MetricsRow, 'loss' | 'lr' | 'flops'>>;

/** The fields a plugin's report() adds to a row (MetricsSource.report). */
export type PluginRowFields = Partial<Pick<MetricsRow, 'density' | 'gateDensity' | 'gateTarget'>>;

const MaskLayerSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(1)).min(1),
  online: z.string(),
  target: z.string(),
});

/** v2, in an export bundle: the trainer state besides its tensors (those are in `weights`, a tf.io model.json). */
const RunFileStateSchema = z.object({
  version: z.number().int().min(1),
  step: z.number().int().min(0),
  peakLr: z.number().positive(),
  optimizerSteps: z.number().int().min(0),
  plugins: z.record(z.string(), z.unknown()),
  /** The tf.io model.json beside run.json whose weights.bin holds the tensors. */
  weights: z.string().min(1),
});
export type RunFileState = z.infer<typeof RunFileStateSchema>;

// The config is checked by parseConfig (for its messages: an unknown key names the nearest
// valid one), which replaces this field with the parsed Config.
const ConfigFieldSchema = z.custom<Config>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a config object');

/** What both versions have. */
const RunFileCommon = {
  backend: z.object({ backend: z.string(), adapter: z.string() }).optional(),
  /** Absent in files written before baselines were measured. */
  baselines: BaselinesSchema.optional(),
  config: ConfigFieldSchema,
  history: z.array(MetricsRowSchema).max(MAX_HISTORY_ROWS),
  masks: z.object({ layers: z.array(MaskLayerSchema).max(MAX_MASK_LAYERS) }),
  gates: z.record(z.string(), z.unknown()).optional(),
};

/** Version 1: no trainer state, no replay; `createdAt` could be missing. */
export const RunFileV1Schema = z.object({ version: z.literal(1), createdAt: z.string().optional(), ...RunFileCommon });
export type RunFileV1 = z.infer<typeof RunFileV1Schema>;

export const RunFileSchema = z.object({
  version: z.literal(RUN_FILE_VERSION),
  createdAt: z.string(),
  ...RunFileCommon,
  state: RunFileStateSchema.optional(),
  /** What the panels drew (every step's row, the mask history), typed arrays as base64 (state/typedJson.ts). */
  replay: z.unknown().optional(),
});
export type RunFile = z.infer<typeof RunFileSchema>;

/** A version-1 file as version 2: the same run, with nothing to continue from (no state, no replay). */
export function migrateRunFile(v1: RunFileV1): RunFile {
  const { version: _v, createdAt, ...rest } = v1;
  return { ...rest, version: RUN_FILE_VERSION, createdAt: createdAt ?? '' };
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function encodeMasks(masks: ExportedMask[]): RunFile['masks'] {
  return { layers: masks.map((m) => ({ name: m.name, shape: m.shape, online: toBase64(m.online), target: toBase64(m.target) })) };
}

/** Refuse a file by its size before reading it (`bytes`: its length). */
export function checkRunFileSize(bytes: number): void {
  if (bytes > MAX_RUN_FILE_BYTES) {
    throw new Error(`run file is ${(bytes / 1024 / 1024).toFixed(1)} MB; the largest accepted is ${MAX_RUN_FILE_BYTES / 1024 / 1024} MB (at the presets' sizes a run.json is far smaller; a wide SyncCP model's masks, ~2.7 bytes a weight, can pass it)`);
  }
}

export interface DecodedRun extends Omit<RunFile, 'masks'> {
  masks: ExportedMask[];
}

/** Parse and check a run.json text (any version, migrated to the current one); every problem is reported with where it is. */
export function parseRunFile(text: string): DecodedRun {
  if (typeof text !== 'string') throw new Error('run file: expected the text of a run.json');
  checkRunFileSize(text.length);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // Deeply nested input can overflow the parser's stack: say so plainly.
    throw new Error(`run file is not valid JSON: ${e instanceof RangeError ? 'nested too deeply' : (e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('run file is malformed — expected a JSON object with version, config, history and masks');
  const version = (raw as { version?: unknown }).version;
  if (typeof version === 'number' && version > RUN_FILE_VERSION) throw new Error(`run file version ${version} is newer than this app understands (${RUN_FILE_VERSION})`);
  const r = version === 1 ? RunFileV1Schema.safeParse(raw) : RunFileSchema.safeParse(raw);
  // The config is checked by parseConfig for its messages (an unknown key names the nearest valid one).
  let config: Config | undefined;
  const problems: string[] = [];
  try {
    config = parseSavedConfig((raw as { config?: unknown }).config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.issues.map((i) => (i.startsWith('(config)') ? `config${i.slice('(config)'.length)}` : `config.${i}`)));
  }
  if (!r.success) problems.push(...r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  if (!r.success || !config) throw new Error(`run file is malformed — ${problems.slice(0, 5).join('; ')}`);
  const file = r.data.version === 1 ? migrateRunFile(r.data) : r.data;
  const masks = file.masks.layers.map((l, i) => {
    const n = l.shape.reduce((a, b) => a * b, 1);
    if (n > MAX_RUN_FILE_BYTES) throw new Error(`run file: masks.layers[${i}] (${l.name}) has shape [${l.shape}], far larger than any network here`);
    const decode = (which: 'online' | 'target') => {
      let bytes: Uint8Array;
      try {
        bytes = fromBase64(l[which]);
      } catch {
        throw new Error(`run file: masks.layers[${i}] (${l.name}).${which} is not base64`);
      }
      if (bytes.length !== n) throw new Error(`run file: masks.layers[${i}] (${l.name}).${which} has ${bytes.length} entries, its shape [${l.shape}] needs ${n}`);
      if (bytes.some((b) => b > 1)) throw new Error(`run file: masks.layers[${i}] (${l.name}).${which} has values other than 0 and 1`);
      return bytes;
    };
    return { name: l.name, shape: l.shape, online: decode('online'), target: decode('target') };
  });
  return { ...file, config, masks };
}
