// Connects the trainer Worker to the stores, and is the only place that sends it
// messages. React components call these actions and render from the stores.
import type { Config, PresetName } from '../engine/config';
import { buildConfig } from '../engine/config';
import { parseRunFile, type RunFile } from '../engine/runFile';
import type { Request, Response } from '../worker/protocol';
import { useMetrics, type HistoryPoint } from './metrics';
import { useRun } from './run';
import { draftOf, evaluate, useSettings, type FieldName } from './settings';
import { clearTimeline, recordSnapshot, recordUpdates, useTimeline } from './timeline';
import { parseUrl, toSearch } from './url';

let worker: Worker | undefined;
let exportWaiter: ((run: RunFile) => void) | undefined;

function send(msg: Request): void {
  worker?.postMessage(msg);
}

function onMessage(msg: Response): void {
  switch (msg.type) {
    case 'backend':
      useRun.setState({ backend: msg.report, worker: 'ready' });
      return;
    case 'ready':
      useMetrics.setState({ rows: [] });
      clearTimeline();
      useRun.setState({
        building: false,
        hasRun: true,
        config: msg.config,
        dataset: msg.dataset,
        flops: msg.flops,
        step: 0,
        loss: undefined,
        knn: undefined,
        stepsPerSecond: 0,
        snapshot: undefined,
      });
      return;
    case 'phase':
      useRun.setState({ phase: msg.phase, step: msg.step });
      return;
    case 'progress': {
      const last = msg.rows[msg.rows.length - 1];
      const knnRow = [...msg.rows].reverse().find((r) => r.knn !== undefined);
      useMetrics.setState((s) => ({ rows: [...s.rows, ...msg.rows] }));
      recordUpdates(msg.rows.flatMap((r) => (r.update ? [r.update] : [])));
      useRun.setState((s) => ({
        step: last.step,
        loss: last.loss,
        flops: last.flops,
        tensors: last.tensors,
        knn: knnRow?.knn ?? s.knn,
        stepsPerSecond: msg.stepsPerSecond || s.stepsPerSecond,
      }));
      return;
    }
    case 'snapshot':
      useRun.setState({ snapshot: msg.snapshot });
      recordSnapshot(msg.snapshot);
      return;
    case 'error':
      useRun.setState((s) => ({
        error: { kind: msg.kind, message: msg.message, step: msg.step },
        building: false,
        hasRun: msg.kind === 'config' ? false : s.hasRun,
        worker: msg.kind === 'device-lost' || msg.kind === 'fatal' ? 'crashed' : s.worker,
      }));
      return;
    case 'exported':
      exportWaiter?.(msg.run);
      exportWaiter = undefined;
      return;
  }
}

/** Create the worker and load the applied config (also used by Restart). */
export function startWorker(): void {
  worker?.terminate();
  useRun.setState({ worker: 'starting', building: true, hasRun: false, phase: 'idle', step: 0, error: undefined, backend: undefined });
  useMetrics.setState({ rows: [] });
  clearTimeline();
  const w = new Worker(new URL('../worker/trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
  w.addEventListener('message', (ev: MessageEvent<Response>) => onMessage(ev.data));
  w.addEventListener('error', (ev) => {
    ev.preventDefault();
    useRun.setState({ worker: 'crashed', building: false, error: { kind: 'crash', message: `The training worker crashed${ev.message ? `: ${ev.message}` : ''}.` } });
  });
  w.addEventListener('messageerror', () => {
    useRun.setState({ worker: 'crashed', error: { kind: 'crash', message: 'The training worker sent a message that could not be read.' } });
  });
  worker = w;
  const { applied, order } = useSettings.getState();
  send({ type: 'init', order, config: applied, assetBase: new URL(import.meta.env.BASE_URL, location.href).href });
}

/** Read ?preset=…&tiny=1&… once at startup. */
export function loadFromUrl(): void {
  const u = parseUrl(location.search);
  const config = buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides });
  useSettings.setState({ preset: u.preset, tiny: u.tiny, draft: draftOf(config), applied: config, order: u.order, issues: {}, urlNotice: u.notice });
}

function writeUrl(): void {
  const s = useSettings.getState();
  if (s.importedBase) return;
  history.replaceState(null, '', toSearch(s.preset, s.tiny, s.applied, s.order));
}

function apply(config: Config): void {
  useSettings.setState({ applied: config });
  useRun.setState({ building: true, error: undefined });
  send({ type: 'configure', config });
  writeUrl();
}

export const actions = {
  start: () => send({ type: 'start' }),
  pause: () => send({ type: 'pause' }),
  step: () => send({ type: 'step' }),
  reset: () => {
    useRun.setState({ building: true, error: undefined });
    send({ type: 'reset' });
  },
  restart: () => startWorker(),
  /** Show this prunable layer in the SyncCP and N:M panels (the worker answers with a snapshot). */
  selectLayer: (layer: string) => send({ type: 'select-layer', layer }),
  selectCdgLayer: (layer: string) => useTimeline.setState({ cdgLayer: layer }),
  /** Scrub to a recorded snapshot (null: follow the newest). */
  viewSnapshot: (index: number | null) => useTimeline.setState((t) => ({ viewIndex: index === null || index >= t.entries.length - 1 ? null : Math.max(0, index) })),
  dismissError: () => useRun.setState({ error: undefined }),
  dismissUrlNotice: () => useSettings.setState({ urlNotice: undefined }),

  setPreset(preset: PresetName) {
    const tiny = useSettings.getState().tiny;
    const config = buildConfig({ preset, tiny });
    useSettings.setState({ preset, draft: draftOf(config), issues: {}, importedBase: undefined, importedName: undefined });
    useMetrics.setState({ imported: undefined });
    apply(config);
  },
  setTiny(tiny: boolean) {
    const preset = useSettings.getState().preset;
    const config = buildConfig({ preset, tiny });
    useSettings.setState({ tiny, draft: draftOf(config), issues: {}, importedBase: undefined, importedName: undefined });
    apply(config);
  },
  /** Edit one field; applied (run restarts at step 0) only when the whole config is valid. */
  setField(field: FieldName, value: string) {
    const s = useSettings.getState();
    const draft = { ...s.draft, [field]: value };
    const { config, issues } = evaluate({ ...s, draft });
    useSettings.setState({ draft, issues });
    if (config && JSON.stringify(config) !== JSON.stringify(s.applied)) apply(config);
  },

  async exportRun(): Promise<void> {
    if (!worker) return;
    const run = await new Promise<RunFile>((resolve) => {
      exportWaiter = resolve;
      send({ type: 'export' });
    });
    const blob = new Blob([JSON.stringify(run)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'run.json';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  },

  /** Load run.json: its config becomes the run's config, its history is shown beside the live one. */
  async importRun(file: File): Promise<void> {
    let run;
    try {
      run = parseRunFile(await file.text());
    } catch (e) {
      useRun.setState({ error: { kind: 'import', message: `Could not import ${file.name}: ${(e as Error).message}` } });
      return;
    }
    const points: HistoryPoint[] = run.history.map((r) => ({
      step: Number(r.step),
      loss: typeof r.loss === 'number' ? r.loss : undefined,
      knn: typeof r.knn === 'number' ? r.knn : undefined,
    }));
    useMetrics.setState({ imported: { name: file.name, points } });
    useSettings.setState({ importedBase: run.config, importedName: file.name, draft: draftOf(run.config), issues: {} });
    apply(run.config);
  },
};
