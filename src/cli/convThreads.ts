// A second thread for the cpu backend's conv loops in Node (the CLIs, the bench, the
// experiment): tfjs' cpu backend runs every kernel on one thread, and the conv loops are
// ~45 % of a step, so on a machine with two cores the other one computes half of each
// large conv (kernels/convThreads.ts: same values bit for bit). SPARSECL_CONV_THREADS=1
// keeps one thread. The page does not use it (its worker would need cross-origin isolation
// for shared memory).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setConvSplitter } from '../engine/kernels/convTaps';
import { CTRL_INTS, ThreadedConvSplitter } from '../engine/kernels/convThreads';

let started: Promise<ThreadedConvSplitter | null> | undefined;
let exited: Promise<void> | undefined;

/** Whether this process may start the helper: two or more cores and not turned off. */
function convThreadsWanted(): boolean {
  return process.env.SPARSECL_CONV_THREADS !== '1' && availableParallelism() >= 2;
}

/**
 * Start the helper thread once per process. Its splitter is installed at once and splits
 * nothing until the helper is ready (each call checks), so a CLI need not wait for it; the
 * promise gives the splitter when the helper is ready, or null when it is not wanted or not
 * ready within `readyMs` (every conv then stays on this thread).
 */
export function startConvThreads(readyMs = 10_000): Promise<ThreadedConvSplitter | null> {
  started ??= (async () => {
    if (!convThreadsWanted()) return null;
    const ctrl = new SharedArrayBuffer(CTRL_INTS * 4);
    const SAB = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
    const arena = new SAB(1 << 20, { maxByteLength: 1 << 30 });
    const worker = new Worker(new URL('./convThreadBoot.mjs', import.meta.url), {
      workerData: { entry: new URL('./convThreadEntry.ts', import.meta.url).href, ctrl, arena },
    });
    worker.unref(); // the helper never keeps the process alive
    exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    let failed = false;
    worker.on('error', () => { failed = true; });
    const splitter = new ThreadedConvSplitter(ctrl, arena);
    setConvSplitter(splitter);
    const t0 = Date.now();
    while (!splitter.ready && !failed && Date.now() - t0 < readyMs) await new Promise((r) => setTimeout(r, 5));
    if (!splitter.ready) {
      setConvSplitter(null);
      void worker.terminate();
      return null;
    }
    return splitter;
  })();
  return started;
}

/**
 * Stop the helper if one was started: a CLI that timed the backends with it running (cpu's
 * figure includes its second thread) and chose another backend leaves no idle thread behind.
 * Resolves whether a helper's thread has exited (within `waitMs`); false when none ran.
 */
export async function stopConvThreads(waitMs = 5_000): Promise<boolean> {
  const splitter = await started;
  started = Promise.resolve(null);
  if (!splitter) return false;
  setConvSplitter(null);
  splitter.stop(); // its loop returns, and the thread ends with it
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
  try {
    return await Promise.race([exited!.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
