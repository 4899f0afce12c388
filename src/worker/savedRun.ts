// A run as the app saves it: the engine's session state plus what the panels drew (every
// step's row, the SyncCP mask history of the layer shown, the last read-back metrics), so
// a resumed or imported run shows its whole past and trains on as if never stopped.
// Autosave keeps one in IndexedDB (the worker writes it, the page reads what it offers).
import { z } from 'zod';
import { ConfigError, parseSavedConfig, type Config } from '../engine/config';
import type { Dataset } from '../engine/data';
import { asDatasetPrint, datasetPrint, printDifference, type DatasetPrint } from '../engine/data/datasetPrint';
import { MetricsRowSchema } from '../engine/runFile';
import type { SessionState } from '../engine/state/runState';
import type { SyncCPHistoryEntry } from '../engine/viz/maskPanel';
import type { Snapshot } from './protocol';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A row as the page plots it (protocol.ts ProgressRow); a loss may be NaN (a history row without one, kept in IndexedDB). */
const ProgressRowSchema = MetricsRowSchema.extend({
  loss: z.union([z.number(), z.nan()]),
  lr: z.number(),
  flops: MetricsRowSchema.shape.flops.unwrap(),
  tensors: z.number(),
});

/** An image the data panel draws: its pixels are width × height RGBA bytes. */
const isImage = (x: unknown): boolean =>
  isObject(x) && Number.isInteger(x.width) && Number.isInteger(x.height) && (x.width as number) > 0 && (x.height as number) > 0 && x.rgba instanceof Uint8ClampedArray && x.rgba.length === (x.width as number) * (x.height as number) * 4;

/**
 * A snapshot the panels can draw: the data panel reads samples[0] and both views while it
 * renders, so one without them (a crafted file) would take the page down, not one panel.
 */
const isSnapshot = (x: unknown): boolean =>
  isObject(x) && typeof x.step === 'number' && isPlugins(x.plugins) && Array.isArray(x.samples) && x.samples.length > 0 && x.samples.every(isImage) && Array.isArray(x.views) && x.views.length === 2 && x.views.every(isImage);

/** Each method's part, where there is one, as the timeline and the panels walk it (the timeline reads syncp.selected.history on arrival). */
const isPlugins = (p: unknown): boolean => {
  if (!isObject(p)) return false;
  const { syncp, cdg } = p;
  const syncpOk = syncp === undefined || (isObject(syncp) && Array.isArray(syncp.layers) && isObject(syncp.selected) && typeof syncp.selected.name === 'string' && Array.isArray(syncp.selected.history));
  const cdgOk = cdg === undefined || (isObject(cdg) && Array.isArray(cdg.layers));
  return syncpOk && cdgOk;
};

/**
 * What the panels drew. Rows are checked field by field; the mask history and the
 * snapshots (heatmaps, images: large, and drawn defensively by their panels) by their shape.
 */
const ReplaySchema = z.object({
  rows: z.array(ProgressRowSchema),
  selectedLayer: z.string().optional(),
  maskHistory: z.array(z.custom<SyncCPHistoryEntry>((x) => isObject(x) && typeof x.step === 'number' && isObject(x.density) && isObject(x.masks))),
  reportedUpdate: z.number().nullable(),
  lastMetrics: z.record(z.string(), z.custom<Float32Array>((x) => x instanceof Float32Array)),
  /** The panel snapshots the timeline scrubber had (decimated as the page keeps them); absent in older saves. */
  snapshots: z.array(z.custom<Snapshot>(isSnapshot)).optional(),
});
export type Replay = z.infer<typeof ReplaySchema>;

/** A replay from a file or IndexedDB, checked before the page plots it; undefined when damaged (the history is replayed instead). */
export function parseReplay(x: unknown): Replay | undefined {
  const r = ReplaySchema.safeParse(x);
  return r.success ? r.data : undefined;
}

/**
 * A replay saved before update steps were numbered as rows are (2026-11-27: the mask update
 * before the step at index k is step k + 1, where the density changes) numbers its updates
 * k. A replay always reports the run's last update as it is saved, so one whose reported
 * update is one short of the run's is an old one: its update steps move to the new numbering
 * (else the first step after a resume would report that update again, a second bar).
 */
export function renumberUpdates(r: Replay, lastUpdateStep: number | null): Replay {
  if (r.reportedUpdate === null || lastUpdateStep === null || lastUpdateStep !== r.reportedUpdate + 1) return r;
  return {
    ...r,
    reportedUpdate: lastUpdateStep,
    rows: r.rows.map((row) => (row.update ? { ...row, update: { ...row.update, step: row.update.step + 1 } } : row)),
    maskHistory: r.maskHistory.map((h) => ({ ...h, step: h.step + 1 })),
  };
}

/** What the resume offer shows, stored apart from the (larger) state. */
export interface SavedRunMeta {
  step: number;
  total: number;
  /** ISO time of the save. */
  savedAt: string;
  backend: string;
  config: Config;
  /** The id of the own images stored with this run (ownImagesToWrite): another tab's save may have replaced them since. */
  imagesId?: string;
  /** An own-images run: what it trains on (datasetPrint), to tell images loaded later apart from them. */
  imagesPrint?: DatasetPrint;
}

/**
 * Why an own-images run cannot resume on `data` (the images it would train on: its own, stored
 * with it, or the ones loaded now when those were not kept), or undefined when it can. A save
 * from before prints were kept is taken as it was.
 */
export function otherImages(meta: SavedRunMeta, data: Dataset): string | undefined {
  const saved = asDatasetPrint(meta.imagesPrint);
  if (saved === undefined) return undefined;
  const why = printDifference(saved, datasetPrint(data));
  if (why === undefined) return undefined;
  return `this run trained on other images than the ones loaded now (${why}): load the files it trained on in the Data panel, then resume again`;
}

/** Own images as the autosave stores them: the decoded data set, and an id its meta names. */
export interface StoredImages {
  id: string;
  data: Dataset;
}

export interface SavedRun {
  meta: SavedRunMeta;
  session: SessionState;
  replay: Replay;
}

const DB = 'sparsecl-playground';
const STORE = 'autosave';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB cannot be opened'));
  });
}

async function tx<T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  return (await txAll(mode, (s) => {
    const req = body(s);
    return req ? [req] : [];
  }))[0] as T | undefined;
}

/** One transaction, the results of every request `body` makes (in order), once it commits. */
async function txAll(mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest[]): Promise<unknown[]> {
  const db = await open();
  try {
    return await new Promise<unknown[]>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      let reqs: IDBRequest[];
      try {
        reqs = body(t.objectStore(STORE));
      } catch (e) {
        // A request that throws at once (a value that cannot be cloned, one too large for the
        // browser) leaves the ones before it in a transaction nothing aborts, which commits
        // them: the meta of a save beside the state of an older one.
        try {
          t.abort();
        } catch {
          // Already finished: nothing of it to undo.
        }
        reject(e);
        return;
      }
      // Resolved when the transaction commits: a reload right after cannot lose the write.
      t.oncomplete = () => resolve(reqs.map((r) => r.result));
      t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/**
 * Replace the saved run (meta and state in one transaction). `ownData`: the decoded own
 * images the run trains on, written with it (a Dataset of typed arrays: ~15 MB for 20 000
 * images at 16 px), so a reload can resume it; undefined leaves the stored images as they
 * are (unchanged since the last save: not rewritten every few seconds), null deletes them.
 */
export async function writeAutosave(run: SavedRun, ownData?: StoredImages | null): Promise<void> {
  await tx('readwrite', (s) => {
    s.put(run.meta, 'meta');
    s.put({ session: run.session, replay: run.replay }, 'run');
    if (ownData) {
      s.put(ownData.data, 'own-data');
      s.put(ownData.id, 'own-data-id');
    } else if (ownData === null) {
      s.delete('own-data');
      s.delete('own-data-id');
    }
  });
}

/** The id of the own images in storage (small: read before a save that would leave them as they are). */
export async function readStoredImagesId(): Promise<string | undefined> {
  return (await tx<string | undefined>('readonly', (s) => s.get('own-data-id'))) ?? undefined;
}

/**
 * What a save writes of the own images the run trains on (`data`: its data set; `saved`: the
 * images this worker last stored; `storedId`: the id in storage now; `tooLarge`: images that
 * did not fit before, not tried again). Unchanged images are not rewritten every few
 * seconds, unless another tab's save replaced or deleted them since (ids differ): then the
 * run would be paired with that tab's images, or none. `imagesId` goes into the meta.
 */
export function ownImagesToWrite(
  data: Dataset,
  saved: StoredImages | null | undefined,
  storedId: string | undefined,
  tooLarge: Dataset | undefined,
  newId: () => string,
): { write: StoredImages | null | undefined; imagesId?: string } {
  if (data.name !== 'own') return { write: saved === null ? undefined : null };
  if (data === tooLarge) return { write: undefined };
  if (saved && saved.data === data) return { write: storedId === saved.id ? undefined : saved, imagesId: saved.id };
  const fresh = { id: newId(), data };
  return { write: fresh, imagesId: fresh.id };
}

/**
 * The stored own images if they are the run's: a save by another tab may have replaced them
 * (or a run without own data deleted them) after this run's images were written. A save from
 * before images had ids names none and is taken as it was.
 */
export function pairedImages(meta: SavedRunMeta, storedId: string | undefined, data: Dataset | undefined): Dataset | undefined {
  return data && meta.imagesId === storedId ? data : undefined;
}

export async function readAutosaveMeta(): Promise<SavedRunMeta | undefined> {
  const meta = (await tx<SavedRunMeta | undefined>('readonly', (s) => s.get('meta'))) ?? undefined;
  return meta && offeredMeta(meta);
}

/**
 * The saved run as the resume offer names it: with the config a resume would restore
 * (checkedSession's), so a run saved by an older version, without settings added since, is
 * named as the preset it is, not "changed settings". A config that no longer parses is
 * shown as stored (the resume then says why it is refused).
 */
export function offeredMeta(meta: SavedRunMeta): SavedRunMeta {
  try {
    return { ...meta, config: parseSavedConfig(meta.config) };
  } catch {
    return meta;
  }
}

/**
 * A saved session with its config checked, and defaults filled in, as an imported run.json's
 * is: an older version may have saved it, without settings added since or with values now
 * refused. Throws saying which settings do not fit.
 */
export function checkedSession(session: SessionState): SessionState {
  if (!isObject(session) || !isObject(session.trainer)) throw new Error('the saved run is damaged (no trainer state)');
  try {
    return { ...session, trainer: { ...session.trainer, config: parseSavedConfig(session.trainer.config) } };
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`the saved run's settings do not fit this version of the app — ${e.issues.slice(0, 3).join('; ')}`);
    throw e;
  }
}

/**
 * The saved run, its config checked (checkedSession); its replay as stored, unchecked
 * (written by an older version, perhaps): parseReplay it before use. Meta, state and own
 * images are read in one transaction: another tab's save between separate reads would pair
 * one save's meta (the savedAt the offer checks) with another's state.
 */
export async function readAutosave(): Promise<(Omit<SavedRun, 'replay'> & { replay: unknown; ownData?: Dataset }) | undefined> {
  const [meta, run, stored, storedId] = (await txAll('readonly', (s) => [s.get('meta'), s.get('run'), s.get('own-data'), s.get('own-data-id')])) as [
    SavedRunMeta | undefined,
    { session: SessionState; replay: unknown } | undefined,
    Dataset | undefined,
    string | undefined,
  ];
  if (!meta || !run) return undefined;
  // One transaction writes both; a browser that committed half of one would pair them wrongly.
  const stateStep = isObject(run.session) && isObject(run.session.trainer) ? run.session.trainer.step : undefined;
  if (stateStep !== meta.step) throw new Error(`the saved run is damaged: it is named as step ${meta.step}, but its state is of step ${String(stateStep)}`);
  const ownData = pairedImages(meta, storedId, stored);
  return { meta, ...run, session: checkedSession(run.session), ...(ownData ? { ownData } : {}) };
}

export async function clearAutosave(): Promise<void> {
  await tx('readwrite', (s) => s.clear());
}
