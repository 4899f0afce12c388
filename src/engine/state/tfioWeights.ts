// Saved tensors in tf.io's format: model.json's weightsManifest (name, shape, dtype per
// entry) and one weights.bin of their bytes back to back (little-endian float32/int32,
// one byte per bool), so tf.io.decodeWeights or any tf.io loader reads the file too.
import { z } from 'zod';
import { DTYPE_BYTES, sizeOf, type StateArray, type StateDtype } from './stateArray';

export const WEIGHTS_FILE = 'weights.bin';
export const MODEL_JSON_FORMAT = 'sparsecl-run-state';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: StateDtype;
}

/** Largest weights.bin accepted (a default-size run's is a few MB). */
export const MAX_WEIGHTS_BYTES = 256 * 1024 * 1024;

export function encodeWeights(arrays: Record<string, StateArray>): { specs: WeightSpec[]; data: Uint8Array } {
  const names = Object.keys(arrays);
  const specs = names.map((name) => ({ name, shape: [...arrays[name].shape], dtype: arrays[name].dtype }));
  const total = specs.reduce((a, s) => a + sizeOf(s.shape) * DTYPE_BYTES[s.dtype], 0);
  // An export that this app's own import (decodeWeights) would refuse is refused here, before the user keeps it.
  if (total > MAX_WEIGHTS_BYTES) throw new Error(`this run's state (weights, BYOL target, optimizer moments, masks) is ${(total / 1024 / 1024).toFixed(0)} MB, more than the ${MAX_WEIGHTS_BYTES / 1024 / 1024} MB an import of it could take: a smaller run (fewer or narrower stages) can be exported`);
  const data = new Uint8Array(total);
  let off = 0;
  for (const name of names) {
    const a = arrays[name];
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    data.set(bytes, off);
    off += bytes.length;
  }
  return { specs, data };
}

/** model.json of a saved run: no topology (the config describes the network), one weights group. */
export function modelJson(specs: WeightSpec[]): Record<string, unknown> {
  return { format: MODEL_JSON_FORMAT, generatedBy: 'SparseCL Playground', convertedBy: null, modelTopology: null, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }] };
}

const ModelJsonSchema = z.object({
  format: z.literal(MODEL_JSON_FORMAT),
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string()).length(1),
        weights: z.array(z.object({ name: z.string().min(1), shape: z.array(z.number().int().min(0)), dtype: z.enum(['float32', 'int32', 'bool']) })).max(100_000),
      }),
    )
    .length(1),
});

/** The weight specs of a model.json text; refuses anything but this app's run-state format. */
export function parseModelJson(text: string): { specs: WeightSpec[]; path: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`model.json is not valid JSON: ${(e as Error).message}`);
  }
  const r = ModelJsonSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`model.json is not a saved run of this app (format "${MODEL_JSON_FORMAT}", one weightsManifest group with name/shape/dtype entries): ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const group = r.data.weightsManifest[0];
  return { specs: group.weights, path: group.paths[0] };
}

/** weights.bin → arrays by name, checked against the specs: the byte count must match exactly. */
export function decodeWeights(specs: WeightSpec[], data: Uint8Array): Record<string, StateArray> {
  const need = specs.reduce((a, s) => a + sizeOf(s.shape) * DTYPE_BYTES[s.dtype], 0);
  if (data.length !== need) throw new Error(`${WEIGHTS_FILE} has ${data.length} bytes, model.json's manifest needs ${need}: the file is damaged or belongs to another export`);
  if (need > MAX_WEIGHTS_BYTES) throw new Error(`${WEIGHTS_FILE} is ${(need / 1024 / 1024).toFixed(0)} MB, more than the ${MAX_WEIGHTS_BYTES / 1024 / 1024} MB a run of this app can have`);
  // No prototype: a tensor named toString or __proto__ is a key like any other (`in` found
  // Object.prototype's and said "listed twice"; __proto__ set the prototype).
  const out: Record<string, StateArray> = Object.create(null);
  let off = 0;
  for (const s of specs) {
    if (Object.hasOwn(out, s.name)) throw new Error(`model.json lists ${s.name} twice`);
    const n = sizeOf(s.shape);
    const bytes = data.slice(off, off + n * DTYPE_BYTES[s.dtype]); // a copy: aligned for the typed array
    off += bytes.length;
    const arr = s.dtype === 'float32' ? new Float32Array(bytes.buffer) : s.dtype === 'int32' ? new Int32Array(bytes.buffer) : bytes;
    out[s.name] = { shape: s.shape, dtype: s.dtype, data: arr };
  }
  return out;
}
