// A replay (what the panels drew) comes back from a file or IndexedDB: parseReplay keeps one
// that has the shape the page plots, through the export's typed-JSON round trip, and drops a
// damaged one (the run's history is replayed instead).
import { describe, expect, it } from 'vitest';
import { decodeTyped, encodeTyped } from '../../../src/engine/state/typedJson';
import { buildConfig } from '../../../src/engine/config';
import type { SessionState } from '../../../src/engine/state/runState';
import { checkedSession, offeredMeta, ownImagesToWrite, pairedImages, parseReplay, renumberUpdates, type Replay } from '../../../src/worker/savedRun';
import type { Dataset } from '../../../src/engine/data';
import { presetOf } from '../../../src/store/presetOf';

function replay(): Replay {
  return {
    rows: [
      { step: 1, loss: 2.5, lr: 0.001, ms: 12, flops: { dense: 100, effective: 40 }, density: { c1: { online: 0.5, target: 0.8 } }, tensors: 90 },
      {
        step: 2, loss: 2.4, lr: 0.002, knn: 0.3, flops: { dense: 100, effective: 40 }, tensors: 90,
        update: { step: 1, layers: [{ name: 'c1', flips: { online: 3, target: 1 }, nested: 1, iou: 0.6, nmFraction: null }] },
      },
    ],
    selectedLayer: 'c1',
    maskHistory: [{ step: 1, density: { online: 0.5, target: 0.8 }, flips: { online: 3, target: 1 }, masks: { rows: 1, cols: 2, online: new Float32Array([1, 0]), target: new Float32Array([1, 1]) } as never }],
    reportedUpdate: 1,
    lastMetrics: { 'syncp.density': new Float32Array([0.5, 0.8]) },
  };
}

const image = () => ({ width: 2, height: 2, rgba: new Uint8ClampedArray(16) });
/** A snapshot the data panel can draw, with `plugins` as given. */
const drawable = (plugins: unknown) => ({ step: 1, plugins, samples: [image()], views: [image(), image()] });

describe('parseReplay', () => {
  it('keeps snapshots whose methods\' parts have what the timeline and panels walk', () => {
    const r = { ...replay(), snapshots: [drawable({}), drawable({ syncp: { layers: [], selected: { name: 'c1', history: [] } }, cdg: { layers: [] } })] };
    expect(parseReplay(r)?.snapshots).toHaveLength(2);
  });

  it('keeps a well-formed replay, also after the export’s typed-JSON round trip', () => {
    expect(parseReplay(replay())).toEqual(replay());
    const back = parseReplay(decodeTyped(encodeTyped(replay())));
    expect(back?.rows).toEqual(replay().rows);
    expect(back?.lastMetrics['syncp.density']).toEqual(new Float32Array([0.5, 0.8]));
  });

  it('keeps a row whose loss is NaN (a history row without one, as IndexedDB stores it)', () => {
    const r = replay();
    r.rows[0].loss = NaN;
    expect(parseReplay(r)?.rows[0].loss).toBeNaN();
  });

  it('drops a damaged replay', () => {
    const cases: ((r: Record<string, unknown>) => void)[] = [
      (r) => ((r.rows as Record<string, unknown>[])[0].loss = '2.5'),
      (r) => delete (r.rows as Record<string, unknown>[])[1].flops,
      (r) => ((r.rows as Record<string, unknown>[])[1].update = { step: -1, layers: [] }),
      (r) => ((r.rows as Record<string, unknown>[])[0].density = { c1: { online: 'half', target: 1 } }),
      (r) => (r.lastMetrics = { 'syncp.density': [0.5, 0.8] }),
      (r) => (r.maskHistory = [{ step: 'one' }]),
      (r) => (r.snapshots = [{ step: 1 }]),
      // No views, or an image whose pixels do not fill it: the data panel would throw while rendering.
      (r) => (r.snapshots = [{ step: 1, plugins: {}, samples: [] }]),
      (r) => (r.snapshots = [{ step: 1, plugins: {}, samples: [{ width: 2, height: 2, rgba: new Uint8ClampedArray(16) }], views: [{ width: 2, height: 2, rgba: new Uint8ClampedArray(3) }, { width: 2, height: 2, rgba: new Uint8ClampedArray(16) }] }]),
      (r) => (r.reportedUpdate = 'never'),
      // A method's part the timeline or its panel cannot walk (the timeline threw on arrival).
      (r) => (r.snapshots = [drawable({ syncp: 5 })]),
      (r) => (r.snapshots = [drawable({ syncp: { layers: [], selected: { name: 'c1' } } })]),
      (r) => (r.snapshots = [drawable({ cdg: { layers: 'all' } })]),
    ];
    for (const damage of cases) {
      const r = replay() as unknown as Record<string, unknown>;
      damage(r);
      expect(parseReplay(r), damage.toString()).toBeUndefined();
    }
    expect(parseReplay(undefined)).toBeUndefined();
    expect(parseReplay({ rows: 'none' })).toBeUndefined();
  });
});

describe('renumberUpdates (replays saved when update steps were numbered from the step index)', () => {
  it('an old replay (its reported update one short of the run\'s) moves every update step by one', () => {
    const old = replay(); // reportedUpdate 1, an update at 1 in row 2 and in the mask history
    const r = renumberUpdates(old, 2);
    expect(r.reportedUpdate).toBe(2);
    expect(r.rows[1].update?.step).toBe(2);
    expect(r.maskHistory.map((h) => h.step)).toEqual([2]);
    expect(r.rows[0]).toEqual(old.rows[0]); // rows without an update are as they were
  });

  it('a replay in the current numbering, or with no update yet, is left as it is', () => {
    for (const [last, reported] of [[1, 1], [null, null], [5, 1]] as const) {
      const r = { ...replay(), reportedUpdate: reported };
      expect(renumberUpdates(r, last), `${last} ${reported}`).toBe(r);
    }
  });
});

describe('checkedSession', () => {
  const session = (config: unknown) => ({ trainer: { version: 1, config, step: 3 }, history: [], baselines: undefined }) as unknown as SessionState;
  const current = buildConfig({ preset: 'byol-dense', tiny: true });

  it('fills in settings added since an older version saved the run, and keeps the rest', () => {
    // As saved before the sparse-kernel and predictor settings existed.
    const { kernels: _k, ...older } = current as unknown as Record<string, unknown>;
    const { predictor: _p, ...ssl } = current.ssl as unknown as Record<string, unknown>;
    const back = checkedSession(session({ ...older, ssl })).trainer.config;
    expect(back.kernels).toEqual(buildConfig({}).kernels);
    expect(back.ssl.predictor).toBe('mlp');
    expect(back.optim).toEqual(current.optim);
    expect(checkedSession(session(current)).trainer.config).toEqual(current);
  });

  it('refuses settings this version does not take, saying which, and a damaged state', () => {
    expect(() => checkedSession(session({ ...current, data: { ...current.data, name: 'shapes', trainCount: 70000 } }))).toThrow(/saved run's settings do not fit this version of the app — data\.trainCount/);
    expect(() => checkedSession(session({ ...current, sparsity: {} }))).toThrow(/do not fit this version.*sparsity/);
    expect(() => checkedSession({ trainer: null } as unknown as SessionState)).toThrow(/damaged/);
  });
});

describe('offeredMeta', () => {
  it('names a run saved before a setting existed as the preset it is (the config a resume restores), and keeps one that no longer parses as stored', () => {
    const config = buildConfig({ preset: 'byol-dense', tiny: true });
    // Saved by a version before ssl.predictor existed.
    const { predictor: _gone, ...olderSsl } = config.ssl as typeof config.ssl & { predictor: unknown };
    const meta = { step: 40, total: 100, savedAt: '2026-11-27T00:00:00Z', backend: 'cpu', config: { ...config, ssl: olderSsl } as never };
    expect(presetOf(meta.config).exact).toBe(false);
    const offered = offeredMeta(meta);
    expect(presetOf(offered.config)).toMatchObject({ preset: 'byol-dense', tiny: true, exact: true });
    const broken = { ...meta, config: { batchSize: -3 } as never };
    expect(offeredMeta(broken)).toEqual(broken);
  });

  it('names a run on own images by its own preset, not by the shortest link (cdg\'s, with CDG off)', () => {
    for (const preset of ['simclr-dense', 'byol-dense', 'cdg', 'syncp-2of4'] as const) {
      for (const tiny of [true, false]) {
        const own = buildConfig({ preset, tiny, overrides: { data: { name: 'own' } } });
        expect(presetOf(own)).toEqual({ preset, tiny, exact: true });
      }
    }
  });
});

describe('own images in the autosave, with two tabs saving into the one slot', () => {
  const own = { name: 'own' } as unknown as Dataset;
  const other = { name: 'own' } as unknown as Dataset;
  const shapes = { name: 'shapes' } as unknown as Dataset;
  let n = 0;
  const newId = () => `id${++n}`;
  const meta = (imagesId?: string) => ({ step: 3, total: 10, savedAt: 't', backend: 'cpu', config: buildConfig(), imagesId });

  it('a run on new images writes them with a new id, named in its meta; unchanged ones are not rewritten', () => {
    n = 0;
    const first = ownImagesToWrite(own, undefined, undefined, undefined, newId);
    expect(first).toEqual({ write: { id: 'id1', data: own }, imagesId: 'id1' });
    // The next save of the same images, still in storage: nothing written, the same id named.
    expect(ownImagesToWrite(own, first.write, 'id1', undefined, newId)).toEqual({ write: undefined, imagesId: 'id1' });
  });

  it('images another tab replaced or deleted since are written again (the run would be paired with its images, or none)', () => {
    const saved = { id: 'mine', data: own };
    expect(ownImagesToWrite(own, saved, 'theirs', undefined, newId)).toEqual({ write: saved, imagesId: 'mine' });
    expect(ownImagesToWrite(own, saved, undefined, undefined, newId)).toEqual({ write: saved, imagesId: 'mine' });
    // Other images in this tab: a new id, whatever is stored.
    expect(ownImagesToWrite(other, saved, 'mine', undefined, newId).write?.data).toBe(other);
  });

  it('a run on other data deletes stored images once; images too large are not tried again', () => {
    expect(ownImagesToWrite(shapes, { id: 'mine', data: own }, undefined, undefined, newId)).toEqual({ write: null });
    expect(ownImagesToWrite(shapes, undefined, undefined, undefined, newId)).toEqual({ write: null });
    expect(ownImagesToWrite(shapes, null, undefined, undefined, newId)).toEqual({ write: undefined });
    expect(ownImagesToWrite(own, null, undefined, own, newId)).toEqual({ write: undefined });
  });

  it('a resume takes the stored images only if they are the ones its meta names', () => {
    expect(pairedImages(meta('a'), 'a', own)).toBe(own);
    expect(pairedImages(meta('a'), 'b', own)).toBeUndefined();
    expect(pairedImages(meta(undefined), 'b', own)).toBeUndefined(); // a run saved without images, another tab's since
    expect(pairedImages(meta('a'), undefined, own)).toBeUndefined();
    // A save from before images had ids: taken as it was.
    expect(pairedImages(meta(undefined), undefined, own)).toBe(own);
    expect(pairedImages(meta('a'), 'a', undefined)).toBeUndefined();
  });
});
