// A stand-in Worker that runs the worker's real CommandQueue over a fake host (builds,
// steps and restores are short sleeps), with messages delivered asynchronously both ways,
// as postMessage does: the page's controller and the queue meet as they do in the app.
import { vi } from 'vitest';
import { buildConfig, type Config } from '../../../src/engine/config';
import { CommandQueue, type RunHandle, type RunHost } from '../../../src/worker/commandQueue';
import type { Request, Response } from '../../../src/worker/protocol';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class QueueRun implements RunHandle {
  step = 0;
  disposed = false;
  /** Steps taken since the last report (sent as progress rows). */
  unreported: number[] = [];
  constructor(
    readonly total: number,
    readonly config: Config,
  ) {}
  dispose(): void {
    this.disposed = true;
  }
}

/** What the fake host does: latencies, and which restores (by order) are refused. */
export const behaviour = { stepMs: 5, restoreMs: 20, measureMs: 40, refuse: (_n: number) => true, exportFails: false, loadFails: false, stepFails: false, announceFails: false, restores: 0, restoredConfig: undefined as Config | undefined };

/** A restored run: syncp-2of4 at step 5 (another preset than the page's, so a test can tell). */
export const RESTORED_CONFIG = buildConfig({ preset: 'syncp-2of4', tiny: true, overrides: { steps: 100 } });

export class QueueWorker extends EventTarget {
  static last: QueueWorker | undefined;
  readonly queue: CommandQueue<QueueRun>;
  readonly runs: QueueRun[] = [];
  /** Whether this worker read own images (a new worker has none). */
  private ownImages = false;
  private terminated = false;
  constructor() {
    super();
    QueueWorker.last = this;
    const post = (m: Response) => {
      setTimeout(() => {
        if (!this.terminated) this.dispatchEvent(new MessageEvent('message', { data: m }));
      }, 0);
    };
    const ready = (run: QueueRun, gen: number) => post({ type: 'ready', gen, config: run.config, dataset: { name: run.config.data.name } as never, flops: { dense: 1, effective: 1 }, tensors: 0 });
    const rows = (steps: number[]) => steps.map((step) => ({ step, loss: 1, lr: 0, ms: 1, flops: { dense: 1, effective: 1 }, tensors: 0 })) as never;
    const host: RunHost<QueueRun> = {
      init: async () => post({ type: 'backend', report: { backend: 'cpu', adapter: 'test', softwareAdapter: false, requested: 'cpu', fallbacks: [] } as never }),
      build: async (config, gen) => {
        await sleep(20);
        // As the worker: own images live in the worker that read them.
        if (config.data.name === 'own' && !this.ownImages) throw new Error('no own data is loaded yet: choose your images in the Data panel (Your own data) first');
        const run = new QueueRun(config.steps, config);
        this.runs.push(run);
        ready(run, gen);
        return run;
      },
      step: async (run) => {
        await sleep(behaviour.stepMs);
        // Not a divergence: the queue reports it as fatal (the worker lives on, the page calls it stopped).
        if (behaviour.stepFails) throw new Error('GPU out of memory');
        run.step += 1;
        run.unreported.push(run.step);
      },
      report: async (run, gen) => {
        if (run.unreported.length) post({ type: 'progress', gen, rows: rows(run.unreported), stepsPerSecond: 1, timedSteps: run.step });
        run.unreported = [];
      },
      exportRun: async (_run, gen) => {
        if (behaviour.exportFails) throw new Error('the run state is 300 MB, more than an import can take');
        post({ type: 'exported', gen, run: {} as never, bundle: new Uint8Array() });
      },
      selectLayer: async () => true,
      measureDense: async (run) => {
        await sleep(behaviour.measureMs);
        return { step: run.step, runMs: 1, denseMs: 2, counted: 0.5 };
      },
      restore: async () => {
        await sleep(behaviour.restoreMs);
        if (behaviour.refuse(behaviour.restores++)) throw new Error('this run trained on your own images: load them in the Data panel first');
        const run = new QueueRun(100, behaviour.restoredConfig ?? RESTORED_CONFIG);
        run.step = 5;
        this.runs.push(run);
        return run;
      },
      discardRestored: (run) => run.dispose(),
      // As the worker's: ready, then every row the run has (all its steps so far).
      announce: async (run, gen) => {
        // Its first readback: the GPU lost while a restored run is announced.
        if (behaviour.announceFails) throw new Error('the GPU device was lost');
        ready(run, gen);
        run.unreported = [];
        if (run.step > 0) post({ type: 'progress', gen, rows: rows(Array.from({ length: run.step }, (_, i) => i + 1)), stepsPerSecond: 0, timedSteps: 0, replay: true });
      },
      configOf: (run) => run.config,
      // Decoding takes a while, then the page hears what was loaded.
      loadData: async () => {
        await sleep(40);
        if (behaviour.loadFails) post({ type: 'error', kind: 'data', message: 'expected image files, a zip, CIFAR-10 .bin batches, or a folder with one sub-folder per class' });
        else {
          this.ownImages = true;
          post({ type: 'data-loaded', info: { source: 'own data', classNames: ['a', 'b'], trainCount: 16, testCount: 4, size: 16, skipped: [], trainOnly: [], testOnly: [] } });
        }
      },
      scaleLearningRate: (run) => run.config,
      post,
      fail: (e, gen) => post({ type: 'error', gen, kind: 'fatal', message: String(e) }),
      yieldTask: () => sleep(0),
    };
    this.queue = new CommandQueue(host);
  }
  /** The types of the messages the page posted, in order. */
  readonly received: string[] = [];
  /** The own files' paths of each load-data the page posted, in order. */
  readonly loadedPaths: string[][] = [];
  postMessage(msg: Request): void {
    this.received.push(msg.type);
    if (msg.type === 'load-data') this.loadedPaths.push(msg.files.map((f) => f.path));
    setTimeout(() => this.queue.push(msg), 0);
  }
  terminate(): void {
    this.terminated = true;
  }
}

/** Put QueueWorker (and what the controller reads of the page) in place of the browser's. */
export function stubQueueWorker(): void {
  vi.stubGlobal('Worker', QueueWorker);
  vi.stubGlobal('location', new URL('http://127.0.0.1/'));
  vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined });
  vi.stubGlobal('history', { replaceState: () => undefined });
}

/** Until the queue has nothing left to do and its last messages reached the page. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await sleep(2);
    await QueueWorker.last!.queue.settled();
  }
  await sleep(10);
}
