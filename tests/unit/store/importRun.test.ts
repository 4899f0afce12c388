// Importing run.zip: the page reads the file and sends its replay to the worker as read; the
// worker's parseReplay is the one check of a replay (an autosave's reaches it unchecked too).
// A damaged replay is not dropped on the way, a well-formed one arrives whole.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';
import { actions } from '../../../src/store/controller';
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

/** The replay of the restore the page sent. */
function sentReplay(): unknown {
  const restores = FakeWorker.last!.sent.filter((m) => (m as { type: string }).type === 'restore') as { source: { kind: string; replay?: unknown } }[];
  expect(restores).toHaveLength(1);
  expect(restores[0].source.kind).toBe('import');
  return restores[0].source.replay;
}

describe('importRun sends the replay as read; the worker checks it', () => {
  beforeAll(() => initBackend(['cpu']));
  beforeEach(() => {
    stubWorker();
    actions.restart();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('a damaged replay reaches the worker unchanged, where parseReplay refuses it (the history is drawn instead)', async () => {
    await actions.importRun(await runZip({ rows: 'none' }));
    expect(useRun.getState().error).toBeUndefined();
    expect(useRun.getState().restoring).toEqual({ kind: 'import', name: 'run.zip' });
    const replay = sentReplay();
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
    await actions.importRun(await runZip(good));
    const replay = sentReplay();
    expect(replay).toEqual(good);
    expect(parseReplay(replay)?.lastMetrics['syncp.density']).toEqual(new Float32Array([0.5, 0.8]));
  });
});
