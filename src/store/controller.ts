// Connects the trainer Worker to the stores, and is the only place that sends it
// messages. React components call these actions and render from the stores.
import type { Config, PresetName } from '../engine/config';
import { buildConfig, ConfigError, SETTINGS } from '../engine/config';
import { methodOffFor } from '../engine/settingsTable';
import { checkRunFileSize, type RunFile } from '../engine/runFile';
import { fitOverrides } from './fitOverrides';
import { BUNDLE_NAME, isZip, MAX_BUNDLE_BYTES, peekRunUpload } from '../engine/state/bundle';
import { clearAutosave, readAutosaveMeta } from '../worker/savedRun';
import { linkOf, presetOf } from './presetOf';
import { EMPTY_MESSAGE, OWN_DATA_LIMITS, type OwnFile } from '../engine/data/ownData';
import { imageSideOrDefault } from '../engine/data/imageSide';
import type { PickedFile } from './pickedFiles';
import type { DatasetInfo, OwnDataInfo, Request, Response } from '../worker/protocol';
import { capRows } from '../worker/progressRows';
import { addReference, pinnedPoints, referencePoints, removeReference, useMetrics } from './metrics';
import { useRun, type RunState } from './run';
import { draftOf, evaluate, namedSettings, overridesOf, useSettings, type FieldName, type SettingsState } from './settings';
import { clearTimeline, recordSnapshot, recordUpdates, rewindTimeline, useTimeline } from './timeline';
import { downloadBytes } from './download';
import { orderFor, parseUrl, type BackendMode } from './url';
import type { BackendReport } from '../engine/backend';
import type { Calibration } from '../engine/backendChoice';
import { CALIBRATION_KEY, calibrationEntry, parseCalibration } from './calibrationCache';

let worker: Worker | undefined;
/** Own data chosen before the worker was started (or with none to start): said instead of a load nothing would answer. */
export const NO_WORKER_MESSAGE = 'the training worker is not running, so your files cannot be read: reload the page and choose them again';
export const CRASHED_WORKER_MESSAGE = 'the training worker has stopped, so your files cannot be read: press Restart, then choose them again';
export const RESTARTED_WORKER_MESSAGE = 'the training worker was restarted while your files were being read: choose them again';
/** Generation of the last run the page asked for (see protocol.ts): older messages are stale. */
let gen = 0;
let exportWaiter: { resolve: (r: { run: RunFile; bundle: Uint8Array }) => void; reject: (e: Error) => void } | undefined;
/** Own images finished loading while a resume or import was on its way: trained on if that is refused. */
let ownDataDeferred = false;
/**
 * A resumed or imported run arrived while own files were being read or decoded: the images
 * that load after it are kept for a later run, not trained on (that rebuild would replace
 * the run just brought back, and a Start would then autosave over it).
 */
let restoredDuringLoad = false;
/** The files of the own images loaded last (handles, not bytes): a new worker (a backend switch, Restart) reads them again. */
let loadedPicks: PickedFile[] | undefined;
/** The files of a load on its way: they become loadedPicks when the worker says they loaded. */
let pendingPicks: PickedFile[] | undefined;
/** A new worker is being given the images loaded before: its answer restores them and starts no run. */
let carrying = false;
/**
 * The carry's load-data has been posted: the worker's next answer to a load is the carry's,
 * whatever the person loads after it (until then a load of theirs replaces the carry). Before,
 * a load clicked after the carry was posted took the carry's answer for its own, and the page
 * remembered the person's files for images the worker did not hold.
 */
let carryPosted = false;
/** Loads the person sent that the worker has not answered yet. */
let ownLoads = 0;
/** Messages for a new worker while the images it is given are read again: posted after them and its init, in order. */
let held: { msg: Request; transfer: Transferable[] }[] | undefined;
/** Why the images could not be given again: said with the build error that follows (the run cannot build without them). */
let carryFailure: string | undefined;

/**
 * A stopped worker (crashed, a lost device, a fatal error) trains no more: left 'running', the
 * settings stayed locked and the way back (change a setting: a fresh worker) could not be
 * taken, only Restart.
 */
function idleIfTraining(phase: RunState['phase']): RunState['phase'] {
  return phase === 'running' || phase === 'stepping' ? 'idle' : phase;
}

/** Train on the own images just loaded: the dataset setting switches to 'own' (a fresh run at step 0); already on own data, the run is built anew on the new images. */
function trainOnOwnData(): void {
  if (useSettings.getState().applied.data.name === 'own') actions.reset();
  else actions.setField('data.name', 'own');
}

/** Post to the worker; `transfer`: buffers handed over, not copied (the page keeps no view of them). */
function send(msg: Request, transfer: Transferable[] = []): void {
  if (held) held.push({ msg, transfer });
  else worker?.postMessage(msg, transfer);
}

/** Ask the worker for a fresh run (configure/reset/init); everything about older runs is stale from now on. */
function nextGen(): number {
  gen += 1;
  // A resume or import on its way is replaced too (a restore sets `restoring` after this),
  // and with it the images waiting on its answer: a later refusal is not theirs.
  ownDataDeferred = false;
  useRun.setState({ building: true, pending: undefined, error: undefined, restoring: undefined });
  return gen;
}

/**
 * A worker that stopped (a crash, a fatal error, a lost device) builds no new run: the run
 * asked for then starts a fresh worker, as Restart does (its error banner, with the Restart
 * button, is cleared by the new run). True when it did.
 */
function restartIfStopped(): boolean {
  if (useRun.getState().worker !== 'crashed') return false;
  startWorker();
  return true;
}

/**
 * The run on screen becomes `run` (a built one, or none after a failed build): the last
 * run's rows, snapshots, counters and timings go with it.
 */
function showRun(run: Pick<RunState, 'config' | 'dataset' | 'flops' | 'tensors' | 'readyTensors'> & Partial<RunState>): void {
  useMetrics.setState({ rows: [] });
  clearTimeline();
  useRun.setState({
    step: 0, loss: undefined, knn: undefined, stepsPerSecond: 0, timedSteps: 0, snapshot: undefined, firstStepPending: true,
    baselines: undefined, denseTiming: undefined, measuringDense: false, denseTimingNote: undefined,
    ...run,
  });
}

/** The first words of a message about a resume or import that did not happen. */
function notLoaded(r: NonNullable<RunState['restoring']>): string {
  return r.kind === 'autosave' ? 'The saved run was not resumed' : `${r.name ?? 'The file'} was not imported`;
}

/** The run is back at step `kept` (a divergence rolled it back): rows, snapshots and updates after it go. */
function rewindTo(kept: number): void {
  const rows = useMetrics.getState().rows.filter((r) => r.step <= kept);
  useMetrics.setState({ rows });
  rewindTimeline(kept);
  const last = rows[rows.length - 1];
  const knn = [...rows].reverse().find((r) => r.knn !== undefined)?.knn;
  // The counters of the last kept row; a dense timing measured after it timed a state rolled back from.
  useRun.setState((s) => ({
    step: kept,
    loss: last?.loss,
    knn,
    snapshot: useTimeline.getState().entries.at(-1) ?? s.snapshot,
    flops: last?.flops ?? s.flops,
    tensors: last?.tensors ?? s.tensors,
    denseTiming: s.denseTiming && s.denseTiming.step > kept ? undefined : s.denseTiming,
  }));
}

/** True when `msg` is about a run the page has since replaced. */
function stale(msg: Response): boolean {
  // An export answers the click that asked for it, even if the run was replaced since.
  if (msg.type === 'exported') return false;
  // No generation (or null: about the loaded images, not one run): never stale.
  return 'gen' in msg && typeof msg.gen === 'number' && msg.gen !== gen;
}

function onMessage(msg: Response): void {
  if (stale(msg)) {
    // An export of a replaced run can never come back: release whoever waits for it.
    if (msg.type === 'ignored' && msg.command === 'export') settleExport(new Error(msg.reason));
    return;
  }
  switch (msg.type) {
    case 'backend':
      useRun.setState({ backend: msg.report, worker: 'ready' });
      if (msg.report.calibration && (!msg.report.calibration.cached || msg.report.calibration.changed)) saveCalibration(msg.report);
      return;
    case 'ready':
      carryFailure = undefined;
      // A new run is idle until the worker says otherwise: the last run's 'running' or
      // 'finished' would show (and disable Start) through the baselines' kNN pass.
      showRun({ building: false, hasRun: true, phase: 'idle', config: msg.config, dataset: msg.dataset, flops: msg.flops, tensors: msg.tensors, readyTensors: msg.tensors, firstStepPending: !msg.warm });
      // Own data as the run has it: at the run's image size, or restored with a saved run after a reload.
      if (msg.dataset.name === 'own') useRun.setState((s) => ({ ownData: ownDataOf(msg.dataset, s.ownData) }));
      return;
    case 'baselines':
      useRun.setState({ baselines: msg.baselines });
      return;
    case 'dense-timing':
      useRun.setState({ denseTiming: { step: msg.step, runMs: msg.runMs, denseMs: msg.denseMs, counted: msg.counted }, measuringDense: false, denseTimingNote: undefined });
      return;
    case 'phase':
      useRun.setState({ phase: msg.phase, step: msg.step, pending: undefined });
      return;
    case 'progress': {
      const last = msg.rows[msg.rows.length - 1];
      const knnRow = [...msg.rows].reverse().find((r) => r.knn !== undefined);
      useMetrics.setState((s) => ({ rows: capRows([...s.rows, ...msg.rows]) }));
      // A run that trains replaces the autosaved one: the offer would resume this run now.
      // Replayed rows train nothing (a refused import re-announces the live run with them).
      if (!msg.replay && useRun.getState().resumable && !useRun.getState().restoring) useRun.setState({ resumable: undefined });
      recordUpdates(msg.rows.flatMap((r) => (r.update ? [r.update] : [])));
      useRun.setState((s) => ({
        step: last.step,
        loss: last.loss,
        flops: last.flops,
        tensors: last.tensors,
        knn: knnRow?.knn ?? s.knn,
        stepsPerSecond: msg.stepsPerSecond || s.stepsPerSecond,
        timedSteps: msg.timedSteps,
        firstStepPending: msg.replay ? s.firstStepPending : false,
        // The step that failed has trained since: its banner ("Step or Start tries it again") is over.
        error: s.error?.kind === 'step-failed' && !msg.replay && last.step >= (s.error.step ?? Infinity) ? undefined : s.error,
      }));
      return;
    }
    case 'snapshot':
      useRun.setState({ snapshot: msg.snapshot });
      recordSnapshot(msg.snapshot);
      return;
    case 'error':
      if (msg.kind === 'autosave') {
        // Nothing stopped: only the resume offer after a reload is at stake.
        useRun.setState({ error: { kind: 'autosave', message: msg.message } });
        return;
      }
      if (msg.kind === 'import') {
        // A resume or import that did not fit: the run that was live goes on, or own images loaded meanwhile are trained on.
        const r = useRun.getState().restoring;
        useRun.setState({ restoring: undefined, building: false });
        // The saved run is still there (own images to load first, say): offer it again.
        if (r?.kind === 'autosave') void offerResume();
        if (ownDataDeferred) {
          ownDataDeferred = false;
          trainOnOwnData(); // a new run: it clears the error line, so the refusal is said after it
        }
        // With no run live (the worker said so just before, under this generation), why is said too.
        const noRun = useRun.getState().error;
        const why = noRun?.kind === 'config' ? `; no run is live either. ${noRun.message}` : '';
        useRun.setState({ error: { kind: 'import', message: `Could not ${r?.kind === 'autosave' ? 'resume the saved run' : `import ${r?.name ?? 'the file'}`}: ${msg.message}${why}` } });
        return;
      }
      // A step's failure while the worker is down (its GPU lost) says nothing new, and its "tries again" would be untrue.
      if (msg.kind === 'step-failed' && useRun.getState().worker === 'crashed') return;
      if (msg.kind === 'data') {
        // Own files that could not be read: nothing about the run changed (a build asked for meanwhile still comes).
        const again = carrying ? 'your images could not be loaded again after the worker restarted: ' : '';
        if (carrying) [carrying, carryPosted, loadedPicks, carryFailure] = [false, false, undefined, again + msg.message];
        else ownLoads = Math.max(0, ownLoads - 1);
        useRun.setState({ loadingData: ownLoads > 0, error: { kind: 'data', message: again + msg.message } });
        return;
      }
      // Rolled back: what the charts drew after the step the run is back at is gone with it.
      if (msg.kind === 'diverged' && msg.kept !== undefined) rewindTo(msg.kept);
      // No run was built, and the worker has disposed the one before: it must not stay on screen as if it were live.
      if (msg.kind === 'config') showRun({ config: undefined, dataset: undefined, flops: undefined, tensors: undefined, readyTensors: undefined });
      // The worker stopped while a file was being loaded (its first readback lost the GPU): the
      // file goes with it, said here; left pending, a Restart blamed the restart for it.
      const lost = msg.kind === 'device-lost' || msg.kind === 'fatal' ? useRun.getState().restoring : undefined;
      // A run on own images whose images could not be given again: why comes first (the build error only says none are loaded).
      const before = msg.kind === 'config' && carryFailure ? `${carryFailure}. ` : '';
      carryFailure = undefined;
      const also = lost ? ` ${notLoaded(lost)}: press Restart, then load it again.` : '';
      const stopped = msg.kind === 'device-lost' || msg.kind === 'fatal';
      useRun.setState((s) => ({
        error: { kind: msg.kind, message: before + msg.message + also, step: msg.step, kept: msg.kept, rolledBack: msg.rolledBack, what: msg.what },
        restoring: lost ? undefined : s.restoring,
        building: false,
        pending: undefined,
        hasRun: msg.kind === 'config' ? false : s.hasRun,
        worker: stopped ? 'crashed' : s.worker,
        phase: stopped ? idleIfTraining(s.phase) : s.phase,
      }));
      return;
    case 'exported':
      settleExport({ run: msg.run, bundle: msg.bundle });
      return;
    case 'restored': {
      // The run goes on from its saved step: its config becomes the settings' (with the
      // preset it is closest to, so the link stays shareable).
      const p = presetOf(msg.config);
      const name = msg.source === 'import' ? msg.name : undefined;
      // Said again after a later file was refused (nothing is being restored now) about a run
      // the page already has: its settings stay as they are, edits not yet applied included.
      const repeat = !useRun.getState().restoring && JSON.stringify(useSettings.getState().applied) === JSON.stringify(msg.config);
      if (!repeat) useSettings.setState({
        preset: p.preset,
        tiny: p.tiny,
        applied: msg.config,
        draft: draftOf(msg.config),
        issues: {},
        edited: [],
        importedBase: name || !p.exact ? msg.config : undefined,
        importedName: name ?? (p.exact ? undefined : `resumed ${p.preset}`),
      });
      // An import leaves the autosaved run in place (until the import trains and is saved over
      // it): its offer stays. A resume was that run.
      useRun.setState((s) => ({ config: msg.config, restoring: undefined, resumable: msg.source === 'import' ? s.resumable : undefined }));
      ownDataDeferred = false; // the run asked for after the images goes on
      // A run on own images may have brought its own (a run.zip, the autosave): the files loaded
      // before are not known to be its images, so a new worker is not given them.
      if (!repeat && msg.config.data.name === 'own') loadedPicks = undefined;
      // Only a restore that happened: a refused file's repeat about the live run is not one.
      if (!repeat && useRun.getState().loadingData) restoredDuringLoad = true;
      writeUrl();
      return;
    }
    case 'config': {
      // The run goes on with this config (a lower learning rate after a divergence). Only
      // the fields it changed are rewritten: text being typed in the others, and its
      // message, stay as they are.
      const s = useSettings.getState();
      const was = draftOf(s.applied);
      const now = draftOf(msg.config);
      const draft = { ...s.draft };
      const issues = { ...s.issues };
      for (const [path, text] of Object.entries(now)) {
        if (was[path] === text) continue;
        draft[path] = text;
        delete issues[path];
      }
      useSettings.setState({ applied: msg.config, draft, issues, importedBase: s.importedBase ? msg.config : undefined });
      useRun.setState({ config: msg.config });
      writeUrl();
      return;
    }
    case 'data-loaded':
      // The images a new worker was given again: loaded as before, the run its init built goes on.
      if (carrying) {
        [carrying, carryPosted] = [false, false];
        useRun.setState({ ownData: msg.info, loadingData: ownLoads > 0 });
        return;
      }
      ownLoads = Math.max(0, ownLoads - 1);
      useRun.setState({ ownData: msg.info, loadingData: ownLoads > 0 });
      loadedPicks = pendingPicks;
      // A resume or an import asked for since goes first (a rebuild now would replace the run
      // it brings); if it is refused, the images are trained on then.
      if (useRun.getState().restoring) ownDataDeferred = true;
      // A resume asked for while the files were still being read reached the worker first
      // and is restored by now: it goes on.
      else if (!restoredDuringLoad) trainOnOwnData();
      restoredDuringLoad = false;
      return;
    case 'ignored':
      // A build that did not happen (superseded, nothing to build) leaves nothing to wait for.
      useRun.setState((s) => ({ pending: undefined, building: ['init', 'configure', 'reset'].includes(msg.command) ? false : s.building }));
      if (msg.command === 'export') settleExport(new Error(msg.reason));
      if (msg.command === 'measure-dense') useRun.setState({ measuringDense: false, denseTimingNote: msg.reason });
      return;
  }
}

/** What the Data panel says of the own images a run was built on (skipped files are known from a load only). */
export function ownDataOf(d: DatasetInfo, loaded: OwnDataInfo | undefined): OwnDataInfo {
  return { source: d.source ?? loaded?.source ?? 'own images', classNames: d.classNames, trainCount: d.trainCount, testCount: d.testCount, size: d.height, skipped: loaded && loaded.trainCount === d.trainCount && loaded.testCount === d.testCount ? loaded.skipped : [], trainOnly: d.trainOnly, testOnly: d.testOnly };
}

/** A picked file's bytes, or an error naming it (a folder the browser handed over as one File does not read). */
async function readBytes(f: PickedFile): Promise<Uint8Array> {
  try {
    return new Uint8Array(await f.file.arrayBuffer());
  } catch (e) {
    throw new Error(`could not read ${f.path} (${(e as Error).message || 'unreadable'}): expected image files, a zip, CIFAR-10 .bin batches, or a folder with one sub-folder per class`);
  }
}

function settleExport(result: { run: RunFile; bundle: Uint8Array } | Error): void {
  const w = exportWaiter;
  exportWaiter = undefined;
  if (!w) return;
  if (result instanceof Error) w.reject(result);
  else w.resolve(result);
}

function readCalibration(): Calibration | undefined {
  try {
    return parseCalibration(localStorage.getItem(CALIBRATION_KEY));
  } catch {
    return undefined; // storage disabled: measure again
  }
}

function saveCalibration(report: BackendReport): void {
  const entry = calibrationEntry(report);
  if (!entry) return;
  try {
    localStorage.setItem(CALIBRATION_KEY, entry);
  } catch {
    /* storage full or disabled: the next load measures again */
  }
}

/** What the Dataset field says when "own" is picked before any own images are loaded. */
export const OWN_DATA_FIRST = 'load your own images first (under Your own data): picking them there switches the run to them';

/**
 * 'own' with no images loaded cannot build: the worker would drop the live run and leave none.
 * Refused at the field (setField, setTiny), as a link naming it is (url.ts).
 */
function ownDataMissing(name: unknown, applied: Config): boolean {
  return name === 'own' && applied.data.name !== 'own' && !useRun.getState().ownData;
}

/** Create the worker and load the applied config (also used by Restart). */
export function startWorker(): void {
  worker?.terminate();
  settleExport(new Error('the worker was restarted'));
  // A load of own data sent to the old worker will never be answered, nor will a resume,
  // an import or a dense timing: the file went to that worker, so say it was not loaded.
  const lost = useRun.getState().restoring;
  // Own files being read by the old worker (not ones it was being given again) go with it: said.
  const lostLoad = ownLoads > 0 || (useRun.getState().loadingData && !carrying);
  carryFailure = undefined;
  const g = nextGen();
  // A new worker holds no own images (the page keeps none): the Data panel must not say they are loaded.
  // Nor may the last run's figures stay beside "Step 0" while the new worker starts (or for
  // good, if it cannot): its loss, kNN, rate, images and the dense timing of another backend.
  showRun({ config: undefined, dataset: undefined, flops: undefined, tensors: undefined, readyTensors: undefined });
  useRun.setState({ worker: 'starting', hasRun: false, phase: 'idle', backend: undefined, loadingData: false, restoring: undefined, ownData: undefined });
  if (lost) useRun.setState({ error: { kind: 'import', message: `${notLoaded(lost)}: the training worker was restarted before it was loaded. Resume or import it again.` } });
  else if (lostLoad) useRun.setState({ error: { kind: 'data', message: RESTARTED_WORKER_MESSAGE } });
  const w = new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
  // A replaced worker (Restart, a backend switch, Measure again) may still deliver what it
  // posted before terminate(): its backend report or crash must not overwrite the new one's.
  // (Messages carry the run's gen, but 'backend' answers the worker, not a run.)
  const current = () => worker === w;
  w.addEventListener('message', (ev: MessageEvent<Response>) => {
    if (current()) onMessage(ev.data);
  });
  // Either way the worker is gone: nothing is being built, loaded or restored any more (a
  // messageerror left "building…" on screen for good), and a file on its way is said lost.
  const stopped = (message: string) =>
    useRun.setState((s) => ({
      worker: 'crashed',
      building: false,
      loadingData: false,
      measuringDense: false,
      restoring: undefined,
      pending: undefined,
      phase: idleIfTraining(s.phase),
      error: { kind: 'crash', message: s.restoring ? `${message} ${notLoaded(s.restoring)}: press Restart, then load it again.` : message },
    }));
  w.addEventListener('error', (ev) => {
    ev.preventDefault();
    if (!current()) return;
    stopped(`The training worker crashed${ev.message ? `: ${ev.message}` : ''}.`);
  });
  w.addEventListener('messageerror', () => {
    if (!current()) return;
    stopped('The training worker sent a message that could not be read.');
  });
  worker = w;
  held = undefined;
  [carrying, carryPosted, ownLoads] = [false, false, 0];
  const { applied, backend } = useSettings.getState();
  const auto = backend === 'auto' ? { cached: readCalibration() } : undefined;
  const init: Request = { type: 'init', gen: g, order: orderFor(backend), auto, config: applied, assetBase: new URL(import.meta.env.BASE_URL, location.href).href };
  // A run on own images keeps them; otherwise the new worker starts without (the Data panel says so).
  const picks = applied.data.name === 'own' ? loadedPicks : undefined;
  loadedPicks = picks;
  if (picks) void carryOwnData(w, picks, init);
  else send(init);
  void offerResume();
}

/**
 * A new worker holds no images: the files loaded last are read again and sent ahead of its
 * init (which may build a run on them), and what the page sends meanwhile waits behind them.
 * Unreadable now (moved, deleted): said, and the init goes as it is.
 */
async function carryOwnData(w: Worker, picks: PickedFile[], init: Request): Promise<void> {
  const mine: NonNullable<typeof held> = [];
  held = mine;
  carrying = true;
  useRun.setState({ loadingData: true });
  let read: OwnFile[] | undefined;
  try {
    read = await Promise.all(picks.map(async (f) => ({ path: f.path, bytes: await readBytes(f) })));
  } catch (e) {
    // Unless a load of the person's replaced the carry meanwhile: theirs is what counts now.
    if (carrying) {
      carryFailure = `your images could not be read again for the restarted worker (${(e as Error).message}): load them again`;
      [carrying, loadedPicks] = [false, undefined];
      useRun.setState({ loadingData: ownLoads > 0, error: { kind: 'data', message: carryFailure } });
    }
  }
  if (worker !== w || held !== mine) return; // replaced meanwhile: its own start sends what it needs
  held = undefined;
  if (read && carrying) {
    const size = imageSideOrDefault(useSettings.getState().applied.data.imageSize);
    w.postMessage({ type: 'load-data', gen, files: read, size } satisfies Request, read.map((f) => f.bytes.buffer as ArrayBuffer));
    carryPosted = true;
  }
  w.postMessage(init);
  for (const m of mine) w.postMessage(m.msg, m.transfer);
}

/** After a reload, a crash or a closed tab: offer the autosaved run, if there is one. */
async function offerResume(): Promise<void> {
  try {
    const meta = await readAutosaveMeta();
    // Not while that run is being restored (Resume pressed on a stopped worker starts a new one, which asks again).
    if (meta && meta.step > 0 && !useRun.getState().restoring) useRun.setState({ resumable: meta });
  } catch {
    /* no IndexedDB (private mode, storage disabled): nothing to offer */
  }
}

/** Read ?preset=…&tiny=1&… once at startup. */
export function loadFromUrl(): void {
  const u = parseUrl(location.search);
  const config = buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides });
  useSettings.setState({ preset: u.preset, tiny: u.tiny, draft: draftOf(config), applied: config, backend: u.backend, issues: {}, urlNotice: u.notice, edited: namedSettings(u.overrides) });
}

function writeUrl(): void {
  history.replaceState(null, '', linkOf(useSettings.getState()));
}

function apply(config: Config): void {
  useSettings.setState({ applied: config });
  // A Start pressed while the run it meant was still being built carries over to the run that
  // replaces it (it starts once built, as README says); it was dropped with the old run. Also
  // after 'ready': the worker answers the Start only after the baselines' kNN passes (seconds
  // on cpu), and a setting changed in between dropped it.
  const run = useRun.getState();
  const startPending = run.pending === 'start' && (run.building || run.phase === 'idle');
  // A Step too, while the worker cannot have begun it (its build, baselines included, still
  // under way): it drops that Step for the run being replaced. Once begun, the old run takes it
  // (its 'stepping' phase is on its way), and carried over it would step the new run as well.
  const stepPending = run.pending === 'step' && (run.building || run.baselines === undefined);
  // A resume or import on its way is replaced by the run built with the new setting: said,
  // and the saved run offered again (it is still there until this run trains).
  const cancelled = run.restoring;
  if (!restartIfStopped()) {
    send({ type: 'configure', gen: nextGen(), config });
    if (startPending) command('start');
    else if (stepPending) command('step');
  }
  if (cancelled) {
    useRun.setState({ error: { kind: 'import', message: `${notLoaded(cancelled)}: the settings changed while it was loading (a field, the preset, the size or a run.json imported), and the run was built anew with them. ${cancelled.kind === 'autosave' ? 'Resume it again from the offer.' : 'Import it again.'}` } });
    if (cancelled.kind === 'autosave') void offerResume();
  }
  writeUrl();
}

/** A command for the run last asked for; `pending` shows it was sent until the worker answers. */
function command(type: 'start' | 'pause' | 'step'): void {
  // Training the run on screen autosaves it over the offered one: the offer goes now, not
  // when the first step answers (a Resume pressed in between would restore this run).
  useRun.setState(type === 'pause' ? { pending: type } : { pending: type, resumable: undefined });
  send({ type, gen });
}

export const actions = {
  start: () => command('start'),
  pause: () => command('pause'),
  step: () => command('step'),
  reset: () => {
    // With the settings on screen: a 'config' the worker sent just before (Continue with lr × ½)
    // and the page dropped once it moved on would otherwise rebuild with a rate it never showed.
    if (!restartIfStopped()) send({ type: 'reset', gen: nextGen(), config: useSettings.getState().applied });
  },
  /** After a divergence: go on from the last good step with the learning rate scaled by `factor`. */
  continueWithLowerLr: (factor = 0.5) => {
    useRun.setState({ pending: 'start', error: undefined });
    send({ type: 'continue', gen, factor });
  },
  /**
   * After a divergence: the same run from step 0 with the learning rate scaled by `factor`
   * (a plain reset is seeded, and would diverge at the same step again).
   */
  resetWithLowerLr: (factor = 0.5) => {
    // The banner stays when the rate cannot be applied (another setting's draft is invalid: its message shows).
    if (actions.setField('optim.lr', String(useSettings.getState().applied.optim.lr * factor))) useRun.setState({ error: undefined });
  },
  restart: () => startWorker(),
  /** Continue the autosaved run from its step, with its history in every panel. */
  resume: () => {
    restartIfStopped();
    const offered = useRun.getState().resumable;
    const g = nextGen();
    useRun.setState({ restoring: { kind: 'autosave', name: 'saved run' }, resumable: undefined });
    send({ type: 'restore', gen: g, source: { kind: 'autosave', savedAt: offered?.savedAt } });
  },
  /**
   * Forget the autosaved run. The offer stays up until the delete has committed: a reload
   * right after the click would otherwise abort the transaction and offer the run again.
   */
  discardSaved: async () => {
    try {
      await clearAutosave();
    } catch (e) {
      // Hidden, the offer would come back on the next reload without a word: it stays, and why is said.
      useRun.setState({ error: { kind: 'autosave', message: `The saved run could not be discarded (${e instanceof Error ? e.message : String(e)}); it is still offered.` } });
      return;
    }
    useRun.setState({ resumable: undefined });
  },
  /**
   * Your own data: the files of a class-folder tree, a zip of one, or CIFAR-10 .bin batches
   * (a drop's folders are walked while this waits). Refused here when no worker is running (or it
   * crashed, or was restarted while the files were read), when empty or too large
   * to read, or when a file cannot be read (a dropped folder the browser gives as one
   * File); otherwise read in the worker (images decoded and resized there), which answers
   * data-loaded or an error saying what was expected. A refusal leaves the run as it was.
   */
  async loadOwnData(picked: PickedFile[] | Promise<PickedFile[]>): Promise<void> {
    // Loading goes on while the worker is still to answer a carry or an earlier load.
    const refuse = (message: string) => useRun.setState({ loadingData: worker !== undefined && useRun.getState().worker !== 'crashed' && (carrying || ownLoads > 0), error: { kind: 'data', message } });
    // Checked before loading is set: nothing would ever answer the load, and the buttons would stay disabled.
    if (!worker) return refuse(NO_WORKER_MESSAGE);
    // A crashed worker never answers: a load posted to it would leave loading set until Restart.
    if (useRun.getState().worker === 'crashed') return refuse(CRASHED_WORKER_MESSAGE);
    const target = worker;
    restoredDuringLoad = false;
    useRun.setState({ loadingData: true, error: undefined });
    let read: OwnFile[];
    let files: PickedFile[];
    try {
      files = await picked;
      if (files.length === 0) return refuse(EMPTY_MESSAGE);
      const total = files.reduce((a, f) => a + f.file.size, 0);
      if (total > OWN_DATA_LIMITS.maxBytes) return refuse(`${(total / 1024 / 1024).toFixed(0)} MB of files; the most this app takes is ${OWN_DATA_LIMITS.maxBytes / 1024 / 1024} MB (use fewer images)`);
      read = await Promise.all(files.map(async (f) => ({ path: f.path, bytes: await readBytes(f) })));
    } catch (e) {
      return refuse(e instanceof Error ? e.message : String(e));
    }
    // The worker may have crashed or been restarted while the files were read.
    if (worker !== target) return refuse(RESTARTED_WORKER_MESSAGE);
    if (useRun.getState().worker === 'crashed') return refuse(CRASHED_WORKER_MESSAGE);
    const size = imageSideOrDefault(useSettings.getState().applied.data.imageSize);
    // These replace the images a new worker is being given again, unless the carry was posted
    // already: its answer then comes first and is the carry's.
    if (!carryPosted) carrying = false;
    ownLoads += 1;
    pendingPicks = files;
    send({ type: 'load-data', gen, files: read, size } satisfies Request, read.map((f) => f.bytes.buffer as ArrayBuffer));
  },
  /** Keep the current run's curves as a reference drawn beside later runs (loss, kNN, density, gates, FLOPs). */
  pinRun: () => {
    const rows = useMetrics.getState().rows;
    // While the next run builds the settings already name it, and the rows are still the last run's.
    if (rows.length === 0 || useRun.getState().building) return;
    const s = useSettings.getState();
    const name = `${s.importedName ?? s.preset}${s.tiny ? ' (tiny)' : ''} · step ${rows[rows.length - 1].step}`;
    addReference(name, 'pinned', pinnedPoints(rows, useRun.getState().baselines?.untrained));
  },
  unpin: (id: number) => removeReference(id),
  /** Run on another backend (or 'auto'): the worker restarts, and so does the run, at step 0. */
  setBackend: (backend: BackendMode) => {
    useSettings.setState({ backend });
    writeUrl();
    startWorker();
  },
  /** Forget the cached measurement and time the backends again (restarts the run). */
  recalibrate: () => {
    try {
      localStorage.removeItem(CALIBRATION_KEY);
    } catch {
      /* nothing cached */
    }
    useSettings.setState({ backend: 'auto' });
    writeUrl();
    startWorker();
  },
  /**
   * Show this prunable layer in the SyncCP and N:M panels (the worker answers with a
   * snapshot). Snapshots hold the selected layer only, so the answer is at the newest step:
   * the view goes live. Left on a scrubbed step, the select sprang back to the old layer and
   * the Update slider emptied (its history was now the new layer's).
   */
  selectLayer: (layer: string) => {
    useTimeline.setState({ viewIndex: null });
    send({ type: 'select-layer', gen, layer });
  },
  /** Time the run's dense counterpart on this device (the worker answers with dense-timing). */
  measureDense: () => {
    useRun.setState({ measuringDense: true, denseTimingNote: undefined });
    send({ type: 'measure-dense', gen });
  },
  selectCdgLayer: (layer: string) => useTimeline.setState({ cdgLayer: layer }),
  /** Scrub to a recorded snapshot (null: follow the newest). */
  viewSnapshot: (index: number | null) => useTimeline.setState((t) => ({ viewIndex: index === null || index >= t.entries.length - 1 ? null : Math.max(0, index) })),
  dismissError: () => useRun.setState({ error: undefined }),
  dismissUrlNotice: () => useSettings.setState({ urlNotice: undefined }),

  /** `overrides`: settings over the preset (a classroom link's, when its lesson comes back); ignored when they do not fit. */
  setPreset(preset: PresetName, overrides?: Record<string, unknown>) {
    const tiny = useSettings.getState().tiny;
    let config = buildConfig({ preset, tiny });
    let edited: FieldName[] = [];
    if (overrides && Object.keys(overrides).length) {
      try {
        config = buildConfig({ preset, tiny, overrides });
        edited = namedSettings(overrides);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    }
    useSettings.setState({ preset, draft: draftOf(config), issues: {}, importedBase: undefined, importedName: undefined, edited });
    apply(config);
  },
  setTiny(tiny: boolean) {
    const s = useSettings.getState();
    const preset = s.preset;
    const size = tiny ? 'tiny' : 'default';
    // The settings changed from the preset stay, over the other size (as a link layers its
    // settings over tiny), an imported run's differences from its preset too. A field whose
    // text has an error, or a setting that does not fit the new size (a batch over the tiny
    // size's 200 training images), takes the new size's value, said at its field.
    const base = buildConfig({ preset, tiny: s.tiny });
    const baseDraft = draftOf(base);
    // An imported run with a method its nearest preset lacks (SyncCP and CDG together, which
    // no preset runs): that method's settings are checked against the run, not refused as
    // "applies only when … is on", and the run stays the base of later edits. Before, Tiny
    // switched such a method off.
    const keepImport = s.importedBase !== undefined && SETTINGS.some((spec) => spec.method !== undefined && !methodOffFor(spec, s.importedBase!) && methodOffFor(spec, base));
    const methodsOf = keepImport ? s.importedBase! : base;
    // Also one a person set to the value of the size being left: it is theirs, not that size's.
    const changed = Object.fromEntries(Object.entries(s.draft).filter(([k, v]) => v !== baseDraft[k] || s.edited.includes(k)));
    const dropped: SettingsState['issues'] = {};
    // A dataset choice setField refused (own images not loaded) is not applied by the size either.
    if (ownDataMissing(changed['data.name'], s.applied)) {
      delete changed['data.name'];
      dropped['data.name'] = `${OWN_DATA_FIRST}; the ${size} size's dataset is used`;
    }
    const { issues } = overridesOf(changed, methodsOf);
    for (const [p, why] of Object.entries(issues)) dropped[p] = `${why}: the ${size} size's value is used`;
    const kept = Object.fromEntries(Object.entries(changed).filter(([k]) => !(k in issues)));
    // As a link's settings are kept (fitOverrides): all together, else one at a time, so a
    // rule between two settings (the batch against changed training images) drops only one.
    const fit = fitOverrides(preset, tiny, Object.keys(kept).map((k) => ({ key: k, fragment: overridesOf({ [k]: kept[k] }, methodsOf).overrides })));
    // An issue names a setting's path, or an entry of it (model.widths.0 is model.widths').
    const pathOf = (i: string) => i.slice(0, i.indexOf(':'));
    for (const [p, why] of fit.refused) {
      const own = why.find((i) => pathOf(i) === p || pathOf(i).startsWith(`${p}.`)) ?? why[0];
      dropped[p] = `${kept[p]} does not fit the ${size} size (${own.slice(pathOf(own).length + 2)}): its value is used`;
    }
    const config = buildConfig({ preset, tiny, overrides: fit.overrides });
    useSettings.setState({ tiny, draft: draftOf(config), issues: dropped, importedBase: keepImport ? config : undefined, importedName: keepImport ? s.importedName : undefined, edited: s.edited.filter((k) => !(k in dropped)) });
    apply(config);
  },
  /** Edit one field; applied (run restarts at step 0) only when the whole config is valid. */
  /** True when the edit left a valid config (applied, or the same as the one running). */
  setField(field: FieldName, value: string): boolean {
    const s = useSettings.getState();
    const draft = { ...s.draft, [field]: value };
    const edited = s.edited.includes(field) ? s.edited : [...s.edited, field];
    const { config, issues } = evaluate({ ...s, draft });
    if (ownDataMissing(config?.data.name, s.applied)) {
      useSettings.setState({ draft, edited, issues: { ...issues, 'data.name': OWN_DATA_FIRST } });
      return false;
    }
    useSettings.setState({ draft, edited, issues });
    if (config && JSON.stringify(config) !== JSON.stringify(s.applied)) apply(config);
    return config !== undefined;
  },

  async exportRun(): Promise<void> {
    // One export at a time: a second click while the first is on its way does nothing.
    if (!worker || exportWaiter) return;
    let out: { run: RunFile; bundle: Uint8Array };
    try {
      out = await new Promise<{ run: RunFile; bundle: Uint8Array }>((resolve, reject) => {
        exportWaiter = { resolve, reject };
        send({ type: 'export', gen });
      });
    } catch (e) {
      useRun.setState({ error: { kind: 'export', message: `Could not export: ${(e as Error).message}` } });
      return;
    }
    downloadBytes(BUNDLE_NAME, out.bundle, 'application/zip');
  },

  /**
   * Load run.zip (this app's export): the run becomes the live one at its saved step, every
   * panel replays its history, and it can train on. A bare run.json (any version) is
   * replayed only: its history is drawn beside a fresh run of its config. A file that does
   * not fit is refused with what was expected, and the live run is untouched.
   */
  async importRun(file: File): Promise<void> {
    let up: ReturnType<typeof peekRunUpload>;
    let bytes: Uint8Array;
    try {
      if (file.size > MAX_BUNDLE_BYTES) throw new Error(`the file is ${(file.size / 1024 / 1024).toFixed(0)} MB, more than a run of this app can be`);
      // By its bytes, not its name: a run.zip saved as "run" or "run.zip.download" is still one.
      if (!isZip(new Uint8Array(await file.slice(0, 4).arrayBuffer()))) checkRunFileSize(file.size);
      bytes = new Uint8Array(await file.arrayBuffer());
      up = peekRunUpload(file.name, bytes);
    } catch (e) {
      useRun.setState({ error: { kind: 'import', message: `Could not import ${file.name}: ${(e as Error).message}` } });
      return;
    }
    if (up.restorable) {
      // The weights and images are inflated in the worker: a large zip neither blocks the page nor is copied.
      restartIfStopped();
      const g = nextGen();
      useRun.setState({ restoring: { kind: 'import', name: file.name } });
      send({ type: 'restore', gen: g, source: { kind: 'import', name: file.name, bytes } }, [bytes.buffer as ArrayBuffer]);
      return;
    }
    const run = up.run;
    // Its config is built in place of the live run, which a run on images not loaded here would only dispose.
    if (run.config.data.name === 'own' && !useRun.getState().ownData) {
      useRun.setState({ error: { kind: 'import', message: `Could not import ${file.name}: this run trained on your own images, and none are loaded; load them in the Data panel first, then import it again` } });
      return;
    }
    addReference(file.name, 'imported', referencePoints(run.history));
    // The preset select and the link name the preset the import is closest to.
    const p = presetOf(run.config);
    useSettings.setState({ preset: p.preset, tiny: p.tiny, importedBase: run.config, importedName: file.name, draft: draftOf(run.config), issues: {}, edited: [] });
    apply(run.config);
  },
};
