// run.json: what a run leaves behind (config, metrics history, final masks and gates),
// written by the CLI's --out and the UI's export, read back by the UI's import.
// Masks: base64 of a Uint8Array of 0/1 in tfjs row-major order of the kernel shape.
import { z } from 'zod';
import { ConfigSchema, type Config } from './config';
import type { ExportedMask } from './plugin';

export const RUN_FILE_VERSION = 1;

export interface RunFile {
  version: number;
  createdAt: string;
  backend?: { backend: string; adapter: string };
  config: Config;
  history: Record<string, unknown>[];
  masks: { layers: { name: string; shape: number[]; online: string; target: string }[] };
  gates?: Record<string, unknown>;
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

const RunFileSchema = z.object({
  version: z.number().int(),
  createdAt: z.string().optional(),
  backend: z.object({ backend: z.string(), adapter: z.string() }).optional(),
  config: ConfigSchema,
  history: z.array(z.record(z.string(), z.unknown())),
  masks: z.object({ layers: z.array(MaskLayerSchema) }),
  gates: z.record(z.string(), z.unknown()).optional(),
});

export interface DecodedRun extends Omit<RunFile, 'masks'> {
  masks: ExportedMask[];
}

/** Parse and check a run.json text; every problem is reported with where it is. */
export function parseRunFile(text: string): DecodedRun {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`run file is not valid JSON: ${(e as Error).message}`);
  }
  const r = RunFileSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`run file is malformed — ${r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  if (r.data.version > RUN_FILE_VERSION) throw new Error(`run file version ${r.data.version} is newer than this app understands (${RUN_FILE_VERSION})`);
  const masks = r.data.masks.layers.map((l, i) => {
    const n = l.shape.reduce((a, b) => a * b, 1);
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
  return { ...r.data, createdAt: r.data.createdAt ?? '', masks };
}
