// The page's side of own data: what it refuses before the worker sees anything (no worker, an empty
// selection, a file the browser cannot read such as a dropped folder handed over as one
// File, a drop whose walk fails, too many bytes) ends as a data error with what was
// expected, loading cleared (so the buttons come back), and the run's state untouched. A
// worker that crashes or is restarted mid-load clears loading too; a load chosen after a
// crash, or whose files were still being read when the worker crashed or restarted, is
// refused with what to do and posted to no worker.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_MESSAGE, OWN_DATA_LIMITS } from '../../../src/engine/data/ownData';
import { actions, CRASHED_WORKER_MESSAGE, NO_WORKER_MESSAGE, RESTARTED_WORKER_MESSAGE } from '../../../src/store/controller';
import type { PickedFile } from '../../../src/store/pickedFiles';
import { useRun } from '../../../src/store/run';
import { FakeWorker, stubWorker } from './fakeWorker';

/** A File whose read fails as Chromium's does for a directory dropped as a File. */
function unreadable(name: string): File {
  const f = new File([], name);
  Object.defineProperty(f, 'arrayBuffer', { value: () => Promise.reject(new DOMException('A requested file or directory could not be found at the time an operation was processed.', 'NotFoundError')) });
  return f;
}

// First in the file: the controller has no worker until a test starts one.
describe('own data chosen with no worker to read it', () => {
  it('is refused, saying so, before any file is read: loading stays clear (the buttons stay usable)', async () => {
    useRun.setState({ loadingData: false, error: undefined, step: 7, ownData: undefined });
    const seen: (boolean | undefined)[] = [];
    const unsubscribe = useRun.subscribe((s) => seen.push(s.loadingData));
    const file = new File([new Uint8Array(3073)], 'data_batch_1.bin');
    Object.defineProperty(file, 'arrayBuffer', { value: () => Promise.reject(new Error('read with no worker to take it')) });
    await actions.loadOwnData([{ path: 'data_batch_1.bin', file }]);
    unsubscribe();
    const s = useRun.getState();
    expect(s.error).toEqual({ kind: 'data', message: NO_WORKER_MESSAGE });
    expect(s.error!.message).toMatch(/worker is not running.*reload the page/);
    expect(s.loadingData).toBe(false);
    expect(seen).not.toContain(true); // never set, not set and cleared
    expect([s.step, s.ownData]).toEqual([7, undefined]);
  });
});

describe('loadOwnData refusals in the page', () => {
  beforeEach(() => {
    // A worker is up (a stand-in): these refusals are the page's own, before it would be sent anything.
    stubWorker();
    actions.restart();
    useRun.setState({ loadingData: false, error: undefined, step: 7, ownData: undefined });
  });
  afterEach(() => {
    expect(FakeWorker.last!.sent.some((m) => (m as { type: string }).type === 'load-data')).toBe(false);
    vi.unstubAllGlobals();
  });

  const settled = () => {
    const s = useRun.getState();
    expect(s.loadingData).toBe(false);
    expect(s.error?.kind).toBe('data');
    // The run is as it was.
    expect(s.step).toBe(7);
    expect(s.ownData).toBeUndefined();
    return s.error!.message;
  };

  it('an empty selection (or an empty dropped folder) says the folder is empty and what was expected', async () => {
    await actions.loadOwnData([]);
    expect(settled()).toBe(EMPTY_MESSAGE);
    await actions.loadOwnData(Promise.resolve([]));
    expect(settled()).toBe('the folder is empty: expected one sub-folder per class with images (or a zip of the same, or CIFAR-10 .bin batches)');
  });

  it('a file that cannot be read is named, with what was expected', async () => {
    const picked: PickedFile[] = [{ path: 'a.png', file: new File(['x'], 'a.png') }, { path: 'shapes', file: unreadable('shapes') }];
    await actions.loadOwnData(picked);
    expect(settled()).toMatch(/^could not read shapes \(A requested file or directory could not be found.*\): expected image files, a zip, CIFAR-10 .bin batches, or a folder with one sub-folder per class$/);
  });

  it('a drop whose folder walk fails is refused with the browser’s reason', async () => {
    await actions.loadOwnData(Promise.reject(new DOMException('The operation failed', 'EncodingError')));
    expect(settled()).toBe('The operation failed');
  });

  it('more bytes than the cap is refused before any is read', async () => {
    const big = new File([], 'data_batch_1.bin');
    Object.defineProperty(big, 'size', { value: OWN_DATA_LIMITS.maxBytes + 30 * 1024 * 1024 });
    Object.defineProperty(big, 'arrayBuffer', { value: () => Promise.reject(new Error('read although too large')) });
    await actions.loadOwnData([{ path: 'data_batch_1.bin', file: big }]);
    expect(settled()).toBe('230 MB of files; the most this app takes is 200 MB (use fewer images)');
  });
});

describe('a load the worker will never answer', () => {
  beforeEach(stubWorker);
  afterEach(() => vi.unstubAllGlobals());

  const cifar = (): PickedFile[] => [{ path: 'data_batch_1.bin', file: new File([new Uint8Array(3073)], 'data_batch_1.bin') }];
  const loadsPosted = (w: FakeWorker) => w.sent.filter((m) => (m as { type: string }).type === 'load-data').length;

  it('a crash during a load, and a restart, clear loading (the buttons come back)', async () => {
    actions.restart();
    const w = FakeWorker.last!;
    await actions.loadOwnData(cifar());
    expect(loadsPosted(w)).toBe(1);
    expect(useRun.getState().loadingData).toBe(true);
    w.dispatchEvent(Object.assign(new Event('error'), { message: 'out of memory' }));
    expect(useRun.getState().loadingData).toBe(false);
    expect(useRun.getState().error?.kind).toBe('crash');

    actions.restart();
    await actions.loadOwnData(cifar());
    expect(useRun.getState().loadingData).toBe(true);
    actions.restart();
    expect(FakeWorker.last).not.toBe(w);
    expect(useRun.getState().loadingData).toBe(false);
  });

  it('after a crash a load is refused, saying to restart: nothing is posted to the dead worker, loading never set', async () => {
    actions.restart();
    const w = FakeWorker.last!;
    w.dispatchEvent(Object.assign(new Event('error'), { message: 'out of memory' }));
    const seen: (boolean | undefined)[] = [];
    const unsubscribe = useRun.subscribe((s) => seen.push(s.loadingData));
    await actions.loadOwnData(cifar());
    unsubscribe();
    expect(useRun.getState().error).toEqual({ kind: 'data', message: CRASHED_WORKER_MESSAGE });
    // It says what happened and what to do.
    expect(CRASHED_WORKER_MESSAGE).toMatch(/worker has stopped.*press Restart.*choose them again/);
    expect(useRun.getState().loadingData).toBe(false);
    expect(seen).not.toContain(true);
    expect(loadsPosted(w)).toBe(0);
  });

  it('a crash or a restart while the files are read: the load is refused, posted to neither worker, loading cleared', async () => {
    for (const event of ['crash', 'restart'] as const) {
      actions.restart();
      const w = FakeWorker.last!;
      let hand!: (p: PickedFile[]) => void;
      const load = actions.loadOwnData(new Promise<PickedFile[]>((res) => (hand = res)));
      expect(useRun.getState().loadingData).toBe(true);
      if (event === 'crash') w.dispatchEvent(Object.assign(new Event('error'), { message: 'out of memory' }));
      else actions.restart();
      hand(cifar());
      await load;
      const s = useRun.getState();
      expect(s.loadingData, event).toBe(false);
      expect(s.error, event).toEqual({ kind: 'data', message: event === 'crash' ? CRASHED_WORKER_MESSAGE : RESTARTED_WORKER_MESSAGE });
      expect(s.error!.message, event).toMatch(event === 'crash' ? /press Restart/ : /restarted while your files were being read.*choose them again/);
      expect(loadsPosted(w), event).toBe(0);
      expect(loadsPosted(FakeWorker.last!), event).toBe(0);
    }
  });
});

describe('an autosave the browser refused', () => {
  beforeEach(stubWorker);
  afterEach(() => vi.unstubAllGlobals());

  it('is said on the page and stops nothing: a load in flight stays in flight, the worker stays up', async () => {
    actions.restart();
    const w = FakeWorker.last!;
    await actions.loadOwnData([{ path: 'data_batch_1.bin', file: new File([new Uint8Array(3073)], 'data_batch_1.bin') }]);
    // A Pause just sent and a run being built: both still waiting for the worker's answer.
    useRun.setState({ pending: 'pause', building: true });
    const before = useRun.getState();
    expect(before.loadingData).toBe(true);
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'error', kind: 'autosave', message: 'Autosave: the run could not be saved' } }));
    const after = useRun.getState();
    expect(after.error).toEqual({ kind: 'autosave', message: 'Autosave: the run could not be saved' });
    expect(after.loadingData).toBe(true);
    expect(after.worker).toBe(before.worker);
    expect(after.building).toBe(true);
    expect(after.pending).toBe('pause');
  });

  it('of a run the page has since replaced (Reset) is not said over the new run; the new run\'s own is', () => {
    actions.restart();
    const w = FakeWorker.last!;
    const gens = () => w.sent.map((m) => (m as { gen?: number }).gen).filter((g): g is number => typeof g === 'number');
    const old = Math.max(...gens());
    actions.reset();
    const now = Math.max(...gens());
    expect(now).toBeGreaterThan(old);
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'error', gen: old, kind: 'autosave', message: 'Autosave: the old run could not be saved' } }));
    expect(useRun.getState().error).toBeUndefined();
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'error', gen: now, kind: 'autosave', message: 'Autosave: this run could not be saved' } }));
    expect(useRun.getState().error).toEqual({ kind: 'autosave', message: 'Autosave: this run could not be saved' });
    // About the loaded images (gen null): said whichever run is on screen, since later runs on
    // the same images do not try to store them again.
    actions.dismissError();
    actions.reset();
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'error', gen: null, kind: 'autosave', message: 'Autosave: your images did not fit' } }));
    expect(useRun.getState().error).toEqual({ kind: 'autosave', message: 'Autosave: your images did not fit' });
  });
});
