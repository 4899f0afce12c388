// run.json: what a run leaves behind (config, metrics history, final masks and gates),
// written by the CLI's --out and the UI's export, read back by the UI's import.
// Masks: base64 of a Uint8Array of 0/1 in tfjs row-major order of the kernel shape.
// Version 2 adds `state` (what a resume needs besides the tensors, which an export writes
// to model.json + weights.bin beside it) and `replay` (the panels' rows and histories).
// Version 1 files still import: their history is replayed, they cannot be continued.
import { z } from 'zod';
import { ConfigError, parseConfig, type Config } from './config';
import type { ExportedMask } from './plugin';

export const RUN_FILE_VERSION = 2;

/** kNN accuracy a run is read against: its network before training, and raw pixels. */
export interface Baselines {
  untrained: number;
  rawPixels: number;
}

/** A logged row (CLI --json line, run.json history); plugins add their fields (density, gateDensity…). */
export interface MetricsRow {
  step: number;
  loss?: number;
  lr?: number;
  ms?: number;
  knn?: number;
  flops?: { dense: number; effective: number };
  density?: Record<string, { online: number; target: number }>;
  gateDensity?: Record<string, { online: number; target: number }>;
  gateTarget?: number;
  [field: string]: unknown;
}

export interface RunFile {
  version: number;
  createdAt: string;
  backend?: { backend: string; adapter: string };
  config: Config;
  /** Absent in files written before baselines were measured. */
  baselines?: Baselines;
  history: MetricsRow[];
  masks: { layers: { name: string; shape: number[]; online: string; target: string }[] };
  gates?: Record<string, unknown>;
  /** v2, in an export bundle: the trainer state besides its tensors (those are in `weights`, a tf.io model.json). */
  state?: RunFileState;
  /** v2: what the panels drew (every step's row, the mask history), typed arrays as base64 (state/typedJson.ts). */
  replay?: unknown;
}

export interface RunFileState {
  version: number;
  step: number;
  peakLr: number;
  optimizerSteps: number;
  plugins: Record<string, unknown>;
  /** The tf.io model.json beside run.json whose weights.bin holds the tensors. */
  weights: string;
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

const MaskLayerSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(1)).min(1),
  online: z.string(),
  target: z.string(),
});

/** The largest run.json accepted: far above a default run's (~1 MB), far below what would stall the page. */
export const MAX_RUN_FILE_BYTES = 32 * 1024 * 1024;
const MAX_HISTORY_ROWS = 1_000_000;
const MAX_MASK_LAYERS = 256;

/** A logged row: the fields the charts read are checked; others (density, gates…) are kept as they are. */
const HistoryRowSchema = z.looseObject({
  step: z.number().int().min(0),
  loss: z.number().optional(),
  knn: z.number().min(0).max(1).optional(),
});

const RunFileSchema = z.object({
  version: z.number().int().min(1),
  createdAt: z.string().optional(),
  backend: z.object({ backend: z.string(), adapter: z.string() }).optional(),
  baselines: z.object({ untrained: z.number().min(0).max(1), rawPixels: z.number().min(0).max(1) }).optional(),
  // Checked by parseConfig below, for its messages (an unknown key names the nearest valid one).
  config: z.record(z.string(), z.unknown()),
  history: z.array(HistoryRowSchema).max(MAX_HISTORY_ROWS),
  masks: z.object({ layers: z.array(MaskLayerSchema).max(MAX_MASK_LAYERS) }),
  gates: z.record(z.string(), z.unknown()).optional(),
  state: z
    .object({
      version: z.number().int().min(1),
      step: z.number().int().min(0),
      peakLr: z.number().positive(),
      optimizerSteps: z.number().int().min(0),
      plugins: z.record(z.string(), z.unknown()),
      weights: z.string().min(1),
    })
    .optional(),
  replay: z.unknown().optional(),
});

/** Refuse a file by its size before reading it (`bytes`: its length). */
export function checkRunFileSize(bytes: number): void {
  if (bytes > MAX_RUN_FILE_BYTES) {
    throw new Error(`run file is ${(bytes / 1024 / 1024).toFixed(1)} MB; the largest accepted is ${MAX_RUN_FILE_BYTES / 1024 / 1024} MB (a run.json of this app is far smaller)`);
  }
}

export interface DecodedRun extends Omit<RunFile, 'masks'> {
  masks: ExportedMask[];
}

/** Parse and check a run.json text; every problem is reported with where it is. */
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
  const r = RunFileSchema.safeParse(raw);
  // The config is checked by parseConfig for its messages (an unknown key names the nearest valid one).
  let config: Config | undefined;
  const problems: string[] = [];
  try {
    config = parseConfig((raw as { config?: unknown }).config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.issues.map((i) => (i.startsWith('(config)') ? `config${i.slice('(config)'.length)}` : `config.${i}`)));
  }
  if (!r.success) problems.push(...r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  if (!r.success || !config) throw new Error(`run file is malformed — ${problems.slice(0, 5).join('; ')}`);
  if (r.data.version > RUN_FILE_VERSION) throw new Error(`run file version ${r.data.version} is newer than this app understands (${RUN_FILE_VERSION})`);
  const masks = r.data.masks.layers.map((l, i) => {
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
  return { ...r.data, config, createdAt: r.data.createdAt ?? '', masks };
}
