// The export bundle, run.zip: run.json (v2: config, history, masks, gates, the trainer
// state besides its tensors, the panels' replay), and the tensors in tf.io format
// (model.json + weights.bin); a run on your own images adds them (data.json + data.bin,
// state/bundleData.ts). Reading takes the zip or a bare run.json (any version): a bare
// run.json replays its history; only the zip can continue training.
import { unzipSync, zipSync, strToU8, strFromU8 } from 'fflate';
import { damagedEntry } from './zipChecksums';
import { checkRunFileSize, MAX_RUN_FILE_BYTES, parseRunFile, type DecodedRun, type RunFile } from '../runFile';
import type { SessionState } from './runState';
import type { StateArray } from './stateArray';
import { decodeTyped } from './typedJson';
import { decodeWeights, encodeWeights, MAX_WEIGHTS_BYTES, modelJson, parseModelJson, WEIGHTS_FILE } from './tfioWeights';
import { DATA_BIN, DATA_JSON, decodeOwnData, encodeOwnData, MAX_DATA_BYTES } from './bundleData';
import type { Dataset } from '../data/types';
import { imageSideOrDefault } from '../data/imageSide';

export const BUNDLE_NAME = 'run.zip';
/** Largest run.zip the page reads: the weights, run.json and, for an own-data run, its images, each at its own limit. */
export const MAX_BUNDLE_BYTES = MAX_WEIGHTS_BYTES + MAX_DATA_BYTES + MAX_RUN_FILE_BYTES + 1024 * 1024;
const RUN_JSON = 'run.json';
const MODEL_JSON = 'model.json';

/**
 * run.zip of a run: `run` is its run.json (its `state` names model.json), `arrays` the
 * tensors, `ownData` the own images it trains on (config data.name 'own').
 */
export function writeBundle(run: RunFile, arrays: Record<string, StateArray>, ownData?: Dataset): Uint8Array {
  const { specs, data } = encodeWeights(arrays);
  const json = strToU8(JSON.stringify(run));
  // As encodeWeights does for the tensors: no run.zip that its own import would refuse.
  if (json.length > MAX_RUN_FILE_BYTES) throw new Error(`this run's history and panels (run.json) come to ${(json.length / 1024 / 1024).toFixed(0)} MB, more than the ${MAX_RUN_FILE_BYTES / 1024 / 1024} MB an import of it could take: a run of fewer steps can be exported`);
  const files: Parameters<typeof zipSync>[0] = {
    [RUN_JSON]: json,
    [MODEL_JSON]: strToU8(JSON.stringify(modelJson(specs))),
    [WEIGHTS_FILE]: [data, { level: 0 }],
  };
  if (ownData) {
    const { json, bin } = encodeOwnData(ownData);
    files[DATA_JSON] = strToU8(json);
    files[DATA_BIN] = [bin, { level: 1 }]; // images: fast deflate; labels and flat backgrounds shrink
  }
  return zipSync(files);
}

export interface ReadRun {
  run: DecodedRun;
  /** Present when the upload can continue training (a bundle with its weights). */
  session?: SessionState;
  /** The panels' rows and histories, as exported (run.json v2). */
  replay?: unknown;
  /** The own images the run trains on, when it does and the zip carries them. */
  ownData?: Dataset;
}

/** A zip by its first bytes (a local file header), whatever the file is called. */
export const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** The manifests (model.json, data.json): a few hundred entries; a run's are tens of kB. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The most a file of a run.zip may inflate to, each at its own limit (run.json at the run file's, not the weights'). */
function inflatedCap(name: string): number {
  if (name === RUN_JSON) return MAX_RUN_FILE_BYTES;
  if (name === DATA_BIN) return MAX_DATA_BYTES;
  if (name === MODEL_JSON || name === DATA_JSON) return MAX_MANIFEST_BYTES;
  return MAX_WEIGHTS_BYTES;
}

/** The files of the zip among `wanted`; sizes from the zip's directory are checked before inflating (a zip bomb stops here). */
function unzipRun(name: string, bytes: Uint8Array, wanted: string[]): Record<string, Uint8Array> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (!wanted.includes(f.name)) return false;
        if (f.originalSize > inflatedCap(f.name)) throw new Error(`${f.name} inflates to ${(f.originalSize / 1024 / 1024).toFixed(0)} MB, more than a run of this app can have`);
        return true;
      },
    });
  } catch (e) {
    throw new Error(`${name} is not a readable zip (${(e as Error).message}); expected the run.zip this app exports`);
  }
  const damaged = damagedEntry(bytes, files);
  if (damaged) throw new Error(`${name} is damaged: ${damaged} does not match the checksum the zip records for it (a copy cut short or changed on the way); export the run again`);
  return files;
}

/** A run.json's bytes, checked against its size cap and schema. */
function runOfJson(bytes: Uint8Array): DecodedRun {
  checkRunFileSize(bytes.length);
  return parseRunFile(strFromU8(bytes));
}

/** The zip's run.json, checked. */
function runOfZip(name: string, files: Record<string, Uint8Array>): DecodedRun {
  if (!files[RUN_JSON]) throw new Error(`${name} has no run.json; expected the run.zip this app exports (run.json, model.json, weights.bin)`);
  return runOfJson(files[RUN_JSON]);
}

/**
 * The panels' replay a run.json carries, decoded (typed arrays back). It only redraws the
 * panels: one that does not decode (damaged, or a later version's typed array) is dropped,
 * and the panels are drawn from the run's history, as the worker does with one it cannot
 * parse; the run itself still imports.
 */
function replayOf(run: DecodedRun): unknown {
  try {
    return run.replay === undefined ? undefined : decodeTyped(run.replay);
  } catch {
    return undefined;
  }
}

/**
 * What the page reads of an upload: run.json alone (a bare one, or the zip's). `restorable`:
 * a zip with the trainer's state, which the worker reads whole (readRunUpload), so the
 * weights, images and replay are never inflated or decoded on the page; anything else is
 * drawn from its history.
 */
export function peekRunUpload(name: string, bytes: Uint8Array): { run: DecodedRun; restorable: boolean } {
  if (!isZip(bytes)) return { run: runOfJson(bytes), restorable: false };
  const run = runOfZip(name, unzipRun(name, bytes, [RUN_JSON]));
  return { run, restorable: Boolean(run.state) };
}

/** An uploaded run.zip or run.json; every refusal says what was expected. */
export function readRunUpload(name: string, bytes: Uint8Array): ReadRun {
  if (!isZip(bytes)) {
    const run = runOfJson(bytes);
    return { run, replay: replayOf(run) };
  }
  const files = unzipRun(name, bytes, [RUN_JSON, MODEL_JSON, WEIGHTS_FILE, DATA_JSON, DATA_BIN]);
  const run = runOfZip(name, files);
  const replay = replayOf(run);
  if (!run.state) return { run, replay };
  const weights = files[run.state.weights];
  if (run.state.weights !== MODEL_JSON || !weights) throw new Error(`${name}: run.json's state names ${run.state.weights}, which is not in the zip (expected model.json beside run.json)`);
  const { specs, path } = parseModelJson(strFromU8(weights));
  if (path !== WEIGHTS_FILE || !files[WEIGHTS_FILE]) throw new Error(`${name}: model.json's weights are in ${path}, expected ${WEIGHTS_FILE} in the zip`);
  const arrays = decodeWeights(specs, files[WEIGHTS_FILE]);
  const s = run.state;
  const session: SessionState = {
    trainer: { version: s.version, config: run.config, step: s.step, peakLr: s.peakLr, optimizerSteps: s.optimizerSteps, arrays, plugins: s.plugins },
    history: run.history,
    baselines: run.baselines,
  };
  let ownData: Dataset | undefined;
  if (run.config.data.name === 'own' && (files[DATA_JSON] || files[DATA_BIN])) {
    if (!files[DATA_JSON] || !files[DATA_BIN]) throw new Error(`${name}: the run's own images need both ${DATA_JSON} and ${DATA_BIN} in the zip`);
    try {
      ownData = decodeOwnData(strFromU8(files[DATA_JSON]), files[DATA_BIN], imageSideOrDefault(run.config.data.imageSize));
    } catch (e) {
      throw new Error(`${name}: its own images are damaged (${(e as Error).message})`);
    }
  }
  return { run, session, replay, ownData };
}
