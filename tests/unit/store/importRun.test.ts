// Importing run.zip: the page reads only its run.json and sends the file's bytes to the
// worker, which inflates the weights, images and replay; the worker's parseReplay is the one
// check of a replay (an autosave's reaches it unchecked too). A damaged replay is not dropped
// on the way, a well-formed one arrives whole; a zip whose run.json is unreadable is refused
// on the page, and one without trainer state replays there.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { peekRunUpload, readRunUpload } from '../../../src/engine/state/bundle';
import { actions } from '../../../src/store/controller';
import { useMetrics } from '../../../src/store/metrics';
import { useRun } from '../../../src/store/run';
import { parseReplay, type Replay } from '../../../src/worker/savedRun';
import { FakeWorker, stubWorker } from './fakeWorker';

const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 4, eval: { knnEvery: 0, logEvery: 1 } } });
/** run.zip after one step, with `replay` as its panels' replay. */
async function runZip(replay: unknown): Promise<File> {
  const s = new RunSession(config, await loadDataset('shapes', { seed: 3, trainCount: 16, testCount: 8 }));
  await s.trainStep();
  const zip = await s.bundle({ backend: 'cpu', adapter: 'test' }, replay as Replay);
  s.dispose();
  return new File([zip as Uint8Array<ArrayBuffer>], 'run.zip');
}

/** The restores the page sent. */
function restores(): { source: { kind: string; name?: string; bytes?: Uint8Array } }[] {
  return FakeWorker.last!.sent.filter((m) => (m as { type: string }).type === 'restore') as { source: { kind: string; bytes?: Uint8Array } }[];
}

/** The replay of the restore the page sent, as the worker reads it from the bytes. */
async function sentReplay(file: File): Promise<unknown> {
  const sent = restores();
  expect(sent).toHaveLength(1);
  expect(sent[0].source).toMatchObject({ kind: 'import', name: file.name });
  // The file's bytes, unchanged, and transferred (not copied): the page keeps no view of them.
  expect(Buffer.from(sent[0].source.bytes!).equals(Buffer.from(await file.arrayBuffer()))).toBe(true);
  expect(FakeWorker.last!.transferred.get(sent[0])).toEqual([sent[0].source.bytes!.buffer]);
  return readRunUpload(file.name, sent[0].source.bytes!).replay;
}

describe('importRun sends run.zip\'s bytes to the worker, which reads them; the worker checks the replay', () => {
  beforeAll(() => initBackend(['cpu']));
  beforeEach(() => {
    stubWorker();
    actions.restart();
  });
  afterEach(() => vi.unstubAllGlobals());

  /** A resume offer up, then run.zip imported: the offer, the restore sent, and a way to answer as the worker. */
  async function importWithOffer() {
    vi.stubGlobal('history', { replaceState: () => {} });
    const offer = { step: 40, savedAt: '2026-11-29T00:00:00.000Z' } as never;
    useRun.setState({ resumable: offer });
    await actions.importRun(await runZip(undefined));
    const sent = restores()[0] as unknown as { gen: number };
    const answer = (data: unknown) => FakeWorker.last!.dispatchEvent(new MessageEvent('message', { data }));
    return { offer, sent, answer };
  }

  it('an import that loads leaves the resume offer up: the saved run is still there until the import trains', async () => {
    const { offer, sent, answer } = await importWithOffer();
    answer({ type: 'restored', gen: sent.gen, source: 'import', name: 'run.zip', config, step: 1 });
    expect(useRun.getState().restoring).toBeUndefined();
    expect(useRun.getState().resumable).toBe(offer);
    // A resume is another matter: the offer was that run.
    actions.resume();
    const again = restores()[1] as unknown as { gen: number; source: { savedAt?: string } };
    expect(again.source.savedAt).toBe('2026-11-29T00:00:00.000Z');
    answer({ type: 'restored', gen: again.gen, source: 'autosave', config, step: 40 });
    expect(useRun.getState().resumable).toBeUndefined();
  });

  // Found by a saved-runs hunt: a refused import re-announces the live run with its rows marked
  // replay, and those cleared the offer of a saved run nothing had trained over.
  it('a refused import leaves the resume offer up: the live run re-announced with replayed rows trains nothing', async () => {
    const { offer, sent, answer } = await importWithOffer();
    answer({ type: 'error', gen: sent.gen, kind: 'import', message: 'run.zip is damaged' });
    expect(useRun.getState().restoring).toBeUndefined();
    const row = { step: 1, loss: 3, lr: 0.001, ms: 5, flops: { dense: 1, effective: 1 }, tensors: 9 };
    answer({ type: 'progress', gen: sent.gen, rows: [row], stepsPerSecond: 0, timedSteps: 0, replay: true });
    expect(useRun.getState().resumable).toBe(offer);
    // A row it trains replaces the saved run: the offer goes.
    answer({ type: 'progress', gen: sent.gen, rows: [{ ...row, step: 2 }], stepsPerSecond: 1, timedSteps: 1 });
    expect(useRun.getState().resumable).toBeUndefined();
  });

  it('a damaged replay reaches the worker unchanged, where parseReplay refuses it (the history is drawn instead)', async () => {
    const file = await runZip({ rows: 'none' });
    await actions.importRun(file);
    expect(useRun.getState().error).toBeUndefined();
    expect(useRun.getState().restoring).toEqual({ kind: 'import', name: 'run.zip' });
    const replay = await sentReplay(file);
    expect(replay).toEqual({ rows: 'none' });
    expect(parseReplay(replay)).toBeUndefined();
  });

  it('a well-formed replay arrives whole, typed arrays included, and passes the worker’s check', async () => {
    const good: Replay = {
      rows: [{ step: 1, loss: 2.5, lr: 0.001, ms: 12, flops: { dense: 100, effective: 40 }, tensors: 90 }],
      maskHistory: [],
      reportedUpdate: null,
      lastMetrics: { 'syncp.density': new Float32Array([0.5, 0.8]) },
    };
    const file = await runZip(good);
    await actions.importRun(file);
    const replay = await sentReplay(file);
    expect(replay).toEqual(good);
    expect(parseReplay(replay)?.lastMetrics['syncp.density']).toEqual(new Float32Array([0.5, 0.8]));
  });
  it('the page inflates only run.json: weights it cannot read go to the worker, which refuses them', async () => {
    const files = unzipSync(new Uint8Array(await (await runZip(undefined)).arrayBuffer()));
    // weights.bin stored as a deflate stream that does not decode (same declared size).
    const broken = zipSync({ 'run.json': files['run.json'], 'model.json': files['model.json'], 'weights.bin': [files['weights.bin'], { level: 6 }] });
    // Its data starts after its local header: 30 bytes, the name, the extra field (zip format).
    const view = new DataView(broken.buffer);
    let at = 0;
    for (;;) {
      expect(view.getUint32(at, true)).toBe(0x04034b50);
      const [nameLen, extraLen, packed] = [view.getUint16(at + 26, true), view.getUint16(at + 28, true), view.getUint32(at + 18, true)];
      const name = new TextDecoder().decode(broken.subarray(at + 30, at + 30 + nameLen));
      at += 30 + nameLen + extraLen;
      if (name === 'weights.bin') break;
      at += packed;
    }
    broken.fill(0xff, at, at + 16); // the first bytes of its deflate stream: an invalid block type
    expect(peekRunUpload('run.zip', broken).restorable).toBe(true);
    expect(() => readRunUpload('run.zip', broken)).toThrow(/not a readable zip/);
    await actions.importRun(new File([broken], 'run.zip'));
    expect(restores()).toHaveLength(1);
  });

  it('a run.zip over run.json\'s 32 MB limit is taken as a zip by its bytes, whatever its name', async () => {
    const files = unzipSync(new Uint8Array(await (await runZip(undefined)).arrayBuffer()));
    // 33 MB of stored padding beside the run's files: a wide run's weights are as large.
    const big = zipSync({ ...files, 'pad.bin': [new Uint8Array(33 * 1024 * 1024), { level: 0 }] });
    for (const name of ['run', 'run.zip.download']) {
      await actions.importRun(new File([big], name));
      expect(useRun.getState().error, name).toBeUndefined();
    }
    expect(restores()).toHaveLength(2);
    // A JSON file that large is still refused by its size.
    await actions.importRun(new File([new Uint8Array(33 * 1024 * 1024).fill(32)], 'run.json'));
    expect(useRun.getState().error?.message).toMatch(/Could not import run.json: run file is 33\.0 MB/);
  });

  it('an unreadable zip is refused on the page (nothing sent); a zip without trainer state replays on the page', async () => {
    const zip = new Uint8Array(await (await runZip(undefined)).arrayBuffer());
    await actions.importRun(new File([zip.slice(0, 300)], 'cut.zip'));
    expect(useRun.getState().error?.message).toMatch(/Could not import cut.zip: cut.zip is not a readable zip/);
    expect(restores()).toHaveLength(0);
    const run = JSON.parse(new TextDecoder().decode(unzipSync(zip)['run.json']));
    delete run.state;
    vi.stubGlobal('history', { replaceState: () => {} }); // the replayed config lands in the link
    await actions.importRun(new File([zipSync({ 'run.json': strToU8(JSON.stringify(run)) })], 'history.zip'));
    expect(restores()).toHaveLength(0);
    expect(useMetrics.getState().references.map((r) => r.name)).toContain('history.zip');
  });

  it('a bare run.json of an own-data run is refused while no own images are loaded: nothing is sent, the live run stays', async () => {
    const zip = new Uint8Array(await (await runZip(undefined)).arrayBuffer());
    const run = JSON.parse(new TextDecoder().decode(unzipSync(zip)['run.json']));
    delete run.state;
    run.config.data = { ...run.config.data, name: 'own' };
    vi.stubGlobal('history', { replaceState: () => {} });
    const sentBefore = FakeWorker.last!.sent.length;
    await actions.importRun(new File([JSON.stringify(run)], 'own.json'));
    expect(useRun.getState().error?.message).toMatch(/Could not import own.json: this run trained on your own images, and none are loaded/);
    // No configure (which would dispose the live run to build one the worker cannot), no reference line.
    expect(FakeWorker.last!.sent.slice(sentBefore)).toEqual([]);
    expect(useMetrics.getState().references.map((r) => r.name)).not.toContain('own.json');
  });
});


// Found by a saved-runs hunt: Discard swallowed a failed delete and hid the offer, and the run
// came back on the next reload without a word.
describe('Discard of the saved run', () => {
  afterEach(() => vi.unstubAllGlobals());
  const offer = { step: 40, savedAt: '2026-11-29T00:00:00.000Z' } as never;
  /** IndexedDB whose open fails (storage blocked), or succeeds with a store that clears. */
  const idb = (fails: boolean) => ({
    open: () => {
      const req: Record<string, unknown> = { error: new Error('storage is blocked') };
      setTimeout(() => {
        if (fails) (req.onerror as () => void)();
        else {
          const t: Record<string, unknown> = { objectStore: () => ({ clear: () => ({ result: undefined }) }) };
          req.result = { close: () => undefined, transaction: () => (setTimeout(() => (t.oncomplete as () => void)(), 0), t) };
          (req.onsuccess as () => void)();
        }
      }, 0);
      return req;
    },
  });

  it('a delete that fails keeps the offer and says why', async () => {
    vi.stubGlobal('indexedDB', idb(true));
    useRun.setState({ resumable: offer, error: undefined });
    await actions.discardSaved();
    expect(useRun.getState().resumable).toBe(offer);
    expect(useRun.getState().error).toMatchObject({ kind: 'autosave', message: 'The saved run could not be discarded (storage is blocked); it is still offered.' });
  });

  it('a delete that commits hides the offer', async () => {
    vi.stubGlobal('indexedDB', idb(false));
    useRun.setState({ resumable: offer, error: undefined });
    await actions.discardSaved();
    expect(useRun.getState().resumable).toBeUndefined();
    expect(useRun.getState().error).toBeUndefined();
  });
});
