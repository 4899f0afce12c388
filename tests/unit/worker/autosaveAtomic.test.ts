// An autosave writes the meta and the run state in one transaction. A put that throws at once
// (a value that cannot be cloned; Firefox's "serialized value is too large") left the meta put
// before it in a transaction nothing aborted, which then committed: the offer named the new
// save and Resume restored the old state (found by a saved-runs hunt). Against a small
// IndexedDB stand-in with the standard's rules that matter here: a put clones its value at
// once (throwing DataCloneError), writes land only when the transaction commits, and an
// aborted transaction writes nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import type { SessionState } from '../../../src/engine/state/runState';
import { readAutosave, readAutosaveMeta, writeAutosave, type SavedRun } from '../../../src/worker/savedRun';

/** The committed contents of the one object store. */
let stored: Map<string, unknown>;
let aborts: number;

function fakeIndexedDB() {
  const request = <T>(result: T) => ({ result, onsuccess: null as null | (() => void), onerror: null, onupgradeneeded: null });
  return {
    open: () => {
      const db = {
        close: () => undefined,
        transaction: () => {
          const pending: [string, unknown][] = [];
          let done = false;
          const t = {
            error: null as Error | null,
            oncomplete: null as null | (() => void),
            onerror: null as null | (() => void),
            onabort: null as null | (() => void),
            abort: () => {
              if (done) throw new Error('InvalidStateError');
              done = true;
              aborts++;
              t.error = new Error('AbortError');
              setTimeout(() => t.onabort?.(), 0);
            },
            objectStore: () => ({
              put: (value: unknown, key: string) => {
                pending.push([key, structuredClone(value)]);
                return request(key);
              },
              get: (key: string) => request(stored.get(key)),
              delete: (key: string) => {
                pending.push([key, undefined]);
                return request(undefined);
              },
            }),
          };
          // Commits once the requests made now have run, unless aborted first.
          setTimeout(() => {
            if (done) return;
            done = true;
            for (const [k, v] of pending) {
              if (v === undefined) stored.delete(k);
              else stored.set(k, v);
            }
            t.oncomplete?.();
          }, 0);
          return t;
        },
      };
      const req = request(db);
      setTimeout(() => req.onsuccess?.(), 0);
      return req;
    },
  };
}

const run = (step: number, replay: unknown): SavedRun =>
  ({
    meta: { step, total: 100, savedAt: `t${step}`, backend: 'cpu', config: buildConfig({ preset: 'simclr-dense', tiny: true }) },
    session: { trainer: { step } } as unknown as SessionState,
    replay,
  }) as SavedRun;

describe('an autosave is all or nothing', () => {
  beforeEach(() => {
    stored = new Map();
    aborts = 0;
    vi.stubGlobal('indexedDB', fakeIndexedDB());
  });
  afterEach(() => vi.unstubAllGlobals());

  it('a state that cannot be stored leaves the last save whole: its meta and its state', async () => {
    await writeAutosave(run(10, { rows: [] }));
    expect((await readAutosaveMeta())?.step).toBe(10);
    // A function cannot be cloned: the second put throws DataCloneError at once.
    await expect(writeAutosave(run(20, { rows: [], bad: () => 1 }))).rejects.toThrow(/could not be cloned|DataCloneError/);
    await new Promise((r) => setTimeout(r, 5));
    expect(aborts).toBe(1);
    expect((await readAutosaveMeta())?.step).toBe(10);
    expect((stored.get('run') as { session: { trainer: { step: number } } }).session.trainer.step).toBe(10);
  });

  it('a save that can be stored commits both', async () => {
    await writeAutosave(run(10, { rows: [] }));
    await writeAutosave(run(30, { rows: [] }));
    expect((await readAutosaveMeta())?.step).toBe(30);
    expect((stored.get('run') as { session: { trainer: { step: number } } }).session.trainer.step).toBe(30);
    expect(aborts).toBe(0);
  });

  it('a meta and a state of different steps (half a save committed) are refused on resume, saying so', async () => {
    await writeAutosave(run(10, { rows: [] }));
    stored.set('meta', { ...(stored.get('meta') as object), step: 20 });
    await expect(readAutosave()).rejects.toThrow('the saved run is damaged: it is named as step 20, but its state is of step 10');
  });
});
