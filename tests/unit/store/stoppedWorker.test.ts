// A worker that stopped, a restart, a refused resume and a superseded restore, clicked at
// any moment: the page neither sticks (Start disabled, no Restart button) nor says what is
// no longer true (images loaded in a worker that has none), nor loses the saved run's offer.
// The real controller and the real CommandQueue over a fake host (queueWorker.ts). Found by
// a review; each case failed before its fix.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions, RESTARTED_WORKER_MESSAGE } from '../../../src/store/controller';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { runButtons } from '../../../src/ui/keys';
import { behaviour, QueueWorker, settle, sleep, stubQueueWorker } from './queueWorker';

// A saved run to offer after a reload (the browser's IndexedDB is not here).
vi.mock('../../../src/worker/savedRun', () => ({
  readAutosaveMeta: async () => ({ step: 40, total: 100, savedAt: '2026-11-27T00:00:00Z', backend: 'cpu', config: {} }),
  clearAutosave: async () => undefined,
}));

beforeEach(() => {
  stubQueueWorker();
  const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 1000 } });
  useSettings.setState({ applied: config, draft: draftOf(config), issues: {}, preset: 'simclr-dense', tiny: true, backend: 'cpu', importedBase: undefined, importedName: undefined });
  useRun.setState({ error: undefined, restoring: undefined, ownData: undefined, resumable: undefined });
  Object.assign(behaviour, { stepMs: 5, restoreMs: 20, refuse: () => true, exportFails: false, loadFails: false, stepFails: false, restores: 0, restoredConfig: undefined });
});
afterEach(() => vi.unstubAllGlobals());

/** A fatal step error (not a divergence): the page shows "stopped" with Restart. */
async function stopWorker(): Promise<QueueWorker> {
  actions.restart();
  await settle();
  const stopped = QueueWorker.last!;
  behaviour.stepFails = true;
  actions.step();
  await settle();
  expect(useRun.getState()).toMatchObject({ worker: 'crashed', error: { kind: 'fatal' } });
  behaviour.stepFails = false;
  return stopped;
}

describe('after the worker stopped', () => {
  it.each([
    ['a setting changed', () => actions.setField('steps', '500')],
    ['Reset', () => actions.reset()],
    ['another preset', () => actions.setPreset('byol-dense')],
  ])('%s starts a fresh worker and builds the run: Start works', async (_what, click) => {
    const stopped = await stopWorker();
    click();
    await settle();
    expect(QueueWorker.last).not.toBe(stopped);
    const s = useRun.getState();
    expect([s.worker, s.hasRun, s.building, s.error]).toEqual(['ready', true, false, undefined]);
    expect(runButtons(s).start).toBe(true);
    expect(s.config).toEqual(useSettings.getState().applied);
  });
});

// Found by a read-only hunt: a lost device while training (said with no run number) left the
// page 'running': settings locked, so only Restart could bring a run back.
describe('a device lost while training', () => {
  /** A run that is training, and its worker. */
  async function training(): Promise<QueueWorker> {
    actions.restart();
    await settle();
    actions.start();
    await sleep(20);
    expect(useRun.getState().phase).toBe('running');
    return QueueWorker.last!;
  }

  it('shows the run as not training: the settings unlock, and a changed setting starts a fresh worker', async () => {
    const stopped = await training();
    stopped.dispatchEvent(new MessageEvent('message', { data: { type: 'error', kind: 'device-lost', message: 'The GPU device was lost.' } }));
    const s = useRun.getState();
    expect([s.worker, s.phase, s.error?.kind]).toEqual(['crashed', 'idle', 'device-lost']);
    expect(actions.setField('steps', '500')).toBe(true);
    await settle();
    expect(QueueWorker.last).not.toBe(stopped);
    expect(useRun.getState()).toMatchObject({ worker: 'ready', hasRun: true, building: false, error: undefined });
    stopped.terminate();
  });

  // Found by a review of the fix above: the worker's own error event (an uncaught exception)
  // left the page 'running' the same way.
  it('so does a worker that crashes while training', async () => {
    const crashed = await training();
    crashed.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'out of memory' }));
    const s = useRun.getState();
    expect([s.worker, s.phase, s.pending, s.error?.kind]).toEqual(['crashed', 'idle', undefined, 'crash']);
    crashed.terminate();
  });
});

describe('a restart', () => {
  // Found by a read-only hunt: a backend switch destroyed a run on own images ("no own data is
  // loaded yet") though the switch promises only a restart at step 0.
  it('gives a run on own images its images again: the new worker reads them before it builds, and nothing else is trained', async () => {
    actions.restart();
    await settle();
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    await settle();
    expect(useRun.getState().ownData).toBeDefined();
    expect(useSettings.getState().applied.data.name).toBe('own');
    const old = QueueWorker.last!;
    actions.setBackend('cpu'); // a backend switch restarts the worker, as Restart does
    actions.setField('steps', '600'); // clicked at once: waits behind the images and the init
    await settle();
    const w = QueueWorker.last!;
    expect(w).not.toBe(old);
    expect(w.received.slice(0, 3)).toEqual(['load-data', 'init', 'configure']);
    const s = useRun.getState();
    expect([s.error, s.hasRun, s.loadingData, s.config?.data.name, s.config?.steps]).toEqual([undefined, true, false, 'own', 600]);
    expect(s.ownData).toBeDefined();
  });

  // Found by a review of the carry: its failures were overwritten by the build error, a load
  // in flight vanished, and a restored run's images were replaced by the files loaded before.
  it('files that cannot be read again: why is said with the build error that follows', async () => {
    actions.restart();
    await settle();
    const file = new File([new Uint8Array(8)], '1.png');
    await actions.loadOwnData([{ path: 'a/1.png', file }]);
    await settle();
    Object.defineProperty(file, 'arrayBuffer', { value: () => Promise.reject(new DOMException('the file was moved', 'NotFoundError')) });
    actions.setBackend('cpu');
    await settle();
    const m = useRun.getState().error?.message ?? '';
    expect(m).toMatch(/^your images could not be read again for the restarted worker \(.*the file was moved.*\): load them again\. /);
    expect(m).toContain('no own data is loaded yet');
    expect(useRun.getState().loadingData).toBe(false);
  });

  it('a load still being read by the old worker: said, not dropped without a word', async () => {
    actions.restart();
    await settle();
    void actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    await sleep(5); // read by the page and posted; the old worker decodes it (40 ms)
    expect(useRun.getState().loadingData).toBe(true);
    actions.setBackend('cpu');
    await settle();
    expect(useRun.getState().error?.message).toBe(RESTARTED_WORKER_MESSAGE);
    expect(useRun.getState().loadingData).toBe(false);
  });

  // Found by a review of the carry: a load clicked after the carry was posted took the
  // carry's answer for its own, so the page remembered its files for images the worker did not
  // hold, and the next restart carried those.
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await sleep(2);
    expect(cond()).toBe(true);
  };
  /** Own images loaded, then a backend switch: the new worker, once the carry is posted to it (its images decode for 40 ms). */
  async function carryPosted(): Promise<QueueWorker> {
    actions.restart();
    await settle();
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    await settle();
    actions.setBackend('cpu');
    const w = QueueWorker.last!;
    await until(() => w.received[0] === 'load-data');
    return w;
  }

  it('a load clicked once the carry is posted: the carry\'s answer is the carry\'s; the load that then fails leaves the carried images remembered', async () => {
    const w = await carryPosted();
    expect(useRun.getState().ownData).toBeUndefined();
    await actions.loadOwnData([{ path: 'b/2.png', file: new File([new Uint8Array(8)], '2.png') }]);
    await until(() => useRun.getState().ownData !== undefined); // the carry's answer
    expect(useRun.getState().loadingData).toBe(true); // the person's load is still on its way
    behaviour.loadFails = true;
    await settle();
    expect(useRun.getState()).toMatchObject({ loadingData: false, error: { kind: 'data' } });
    expect(w.loadedPaths).toEqual([['a/1.png'], ['b/2.png']]);
    // Only the carry's run was built: the carry's answer trained nothing of its own.
    expect(w.received.filter((t) => t === 'reset' || t === 'configure')).toEqual([]);
    behaviour.loadFails = false;
    actions.setBackend('cpu');
    await settle();
    expect(QueueWorker.last!.loadedPaths[0]).toEqual(['a/1.png']);
  });

  it('a load clicked once the carry is posted, then Restart before either answers: the load is said lost, not dropped without a word', async () => {
    await carryPosted();
    await actions.loadOwnData([{ path: 'b/2.png', file: new File([new Uint8Array(8)], '2.png') }]);
    actions.restart();
    expect(useRun.getState().error?.message).toBe(RESTARTED_WORKER_MESSAGE);
    await settle();
  });

  it('after a restored run on own images, a new worker is not given the files loaded before (the run may have brought its own)', async () => {
    actions.restart();
    await settle();
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    await settle();
    // The saved run trained on own images (its images come with it).
    behaviour.restoredConfig = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 100, data: { name: 'own' } } });
    behaviour.refuse = () => false;
    actions.resume();
    await settle();
    expect(useSettings.getState().applied.data.name).toBe('own');
    actions.setBackend('cpu');
    await settle();
    expect(QueueWorker.last!.received[0]).toBe('init');
  });

  it('a run on other data: the new worker starts without the images, and the Data panel says they are not loaded', async () => {
    actions.restart();
    await settle();
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    await settle();
    actions.setField('data.name' as never, 'shapes');
    await settle();
    actions.setBackend('cpu');
    await settle();
    expect(QueueWorker.last!.received[0]).toBe('init');
    expect(useRun.getState().ownData).toBeUndefined();
    expect(useRun.getState().error).toBeUndefined();
  });
});

describe('a restart, at once', () => {
  it('shows none of the last run\'s figures beside step 0 while the new worker starts', async () => {
    actions.restart();
    await settle();
    actions.step();
    actions.step();
    await settle();
    expect(useRun.getState().step).toBe(2);
    expect(useRun.getState().loss).toBeDefined();
    useRun.setState({ knn: 0.4, stepsPerSecond: 3, denseTiming: { msPerStep: 10 } as never });
    actions.restart();
    // Before the new worker answers anything.
    expect(useRun.getState()).toMatchObject({ worker: 'starting', step: 0, loss: undefined, knn: undefined, stepsPerSecond: 0, snapshot: undefined, baselines: undefined, denseTiming: undefined, dataset: undefined, flops: undefined });
    await settle();
  });
});

describe('the Dataset field', () => {
  it('"own" with no own images loaded is said at the field and the live run is kept (it cannot build)', async () => {
    actions.restart();
    await settle();
    actions.step();
    await settle();
    const before = useSettings.getState().applied;
    expect(actions.setField('data.name' as never, 'own')).toBe(false);
    await settle();
    expect(useSettings.getState().applied).toEqual(before);
    expect(useSettings.getState().issues['data.name']).toMatch(/load your own images first/);
    expect(useRun.getState()).toMatchObject({ hasRun: true, step: 1, error: undefined });
  });
});

describe('a refused resume', () => {
  it('offers the saved run again (to resume once the own images are loaded)', async () => {
    actions.restart();
    await settle();
    expect(useRun.getState().resumable?.step).toBe(40);
    actions.resume();
    expect(useRun.getState().resumable).toBeUndefined();
    await settle();
    expect(useRun.getState().error?.message).toContain('Could not resume the saved run');
    expect(useRun.getState().resumable?.step).toBe(40);
  });

  it('after a superseded restore, images loaded during it are not trained on by a later, unrelated refusal', async () => {
    actions.restart();
    await settle();
    behaviour.restoreMs = 300;
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    actions.resume(); // the images arrive while this restore is on its way: they wait on its answer
    while (!useRun.getState().ownData) await sleep(5);
    expect(useRun.getState().restoring).toBeDefined();
    actions.setField('steps', '500'); // supersedes the restore: its answer is dropped
    await settle();
    expect(useSettings.getState().applied.data.name).toBe('shapes');
    behaviour.restoreMs = 20;
    actions.resume(); // refused: the live run goes on, on its own data
    await settle();
    expect(useRun.getState().error?.message).toContain('Could not resume');
    expect(useSettings.getState().applied.data.name).toBe('shapes');
    expect(useRun.getState().config?.steps).toBe(500);
  });

  // Found by a read-only hunt: the resume was dropped without a word, and its offer with it.
  it('a setting changed while a resume is loading: the new run is built, the page says the resume was dropped and offers the saved run again', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = () => false;
    behaviour.restoreMs = 60;
    actions.resume();
    expect(useRun.getState().resumable).toBeUndefined();
    actions.setField('steps', '400');
    await settle();
    const s = useRun.getState();
    expect(s.restoring).toBeUndefined();
    expect(s.config?.steps).toBe(400);
    expect(s.error?.message).toMatch(/^The saved run was not resumed: the settings changed while it was loading/);
    expect(s.resumable?.step).toBe(40);
  });
});
