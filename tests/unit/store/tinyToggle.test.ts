// Tiny on, with settings changed at the default size: they stay, except one that does not fit
// the tiny size (a batch over its 200 training images), which takes the tiny size's value
// and says so at its field. Before, one such setting dropped every change without a word.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions, loadFromUrl } from '../../../src/store/controller';
import { draftOf, useSettings } from '../../../src/store/settings';
import { stubPage } from './fakeWorker';

describe('the Tiny toggle with changed settings', () => {
  beforeEach(() => {
    stubPage();
  });
  afterEach(() => vi.unstubAllGlobals());

  // From a UI hunt: Dataset "own" with no images loaded is refused at the field (nothing is
  // applied), but Tiny carried it into the config, the worker dropped the live run to build on
  // data it did not have, and the page was left with no run.
  it('a dataset of own images refused at its field (none loaded) is not applied by Tiny either: said, the run built on the size\'s dataset', () => {
    const config = buildConfig({ preset: 'simclr-dense', overrides: { optim: { lr: 0.004 } } });
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: draftOf(config), applied: config, issues: {}, edited: [], importedBase: undefined, importedName: undefined });
    actions.restart();
    expect(actions.setField('data.name', 'own')).toBe(false);
    expect(useSettings.getState().applied.data.name).toBe('shapes');
    actions.setTiny(true);
    const s = useSettings.getState();
    expect(s.applied.data.name).toBe('shapes');
    expect(s.applied.optim.lr).toBe(0.004);
    expect(s.draft['data.name']).toBe('shapes');
    expect(s.issues['data.name']).toMatch(/^load your own images first .*; the tiny size's dataset is used$/);
  });

  it('keeps the changes that fit; a batch of 256 over 200 tiny training images takes the tiny batch, said at the field', () => {
    const config = buildConfig({ preset: 'simclr-dense', overrides: { batchSize: 256, optim: { lr: 0.004 }, seed: 9 } });
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
    actions.restart();
    actions.setTiny(true);
    const s = useSettings.getState();
    expect(s.tiny).toBe(true);
    expect(s.applied.optim.lr).toBe(0.004);
    expect(s.applied.seed).toBe(9);
    expect(s.applied.batchSize).toBe(buildConfig({ preset: 'simclr-dense', tiny: true }).batchSize);
    expect(s.issues.batchSize).toMatch(/^256 does not fit the tiny size \(the batch cannot be larger than the training images.*\): its value is used$/);
  });

  it('a field with an error does not take the other changes with it: they stay, the field takes the tiny value and says why', () => {
    const config = buildConfig({ preset: 'simclr-dense', overrides: { optim: { lr: 0.004 }, seed: 9 } });
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: { ...draftOf(config), 'ssl.temperature': '' }, applied: config, issues: { 'ssl.temperature': 'enter a number' }, importedBase: undefined, importedName: undefined });
    actions.restart();
    actions.setTiny(true);
    const s = useSettings.getState();
    expect([s.applied.optim.lr, s.applied.seed]).toEqual([0.004, 9]);
    expect(s.applied.ssl.temperature).toBe(buildConfig({ preset: 'simclr-dense', tiny: true }).ssl.temperature);
    expect(s.issues['ssl.temperature']).toMatch(/^enter a number: the tiny size's value is used$/);
  });

  it('a list setting refused by an entry (widths 8,0) is dropped alone; an imported run keeps its changes too', () => {
    const config = buildConfig({ preset: 'simclr-dense', overrides: { optim: { lr: 0.004 }, seed: 9 } });
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: { ...draftOf(config), 'model.widths': '8,0' }, applied: config, issues: {}, importedBase: undefined, importedName: undefined });
    actions.restart();
    actions.setTiny(true);
    let s = useSettings.getState();
    expect([s.applied.optim.lr, s.applied.seed]).toEqual([0.004, 9]);
    expect(s.applied.model.widths).toEqual(buildConfig({ preset: 'simclr-dense', tiny: true }).model.widths);
    expect(s.issues['model.widths']).toMatch(/^8,0 does not fit the tiny size/);
    // An imported run's settings (its differences from its preset) go over the tiny size too.
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: draftOf(config), applied: config, issues: {}, importedBase: config, importedName: 'run.zip' });
    actions.setTiny(true);
    s = useSettings.getState();
    expect([s.applied.optim.lr, s.applied.seed]).toEqual([0.004, 9]);
  });

  // Found by a read-only hunt: an imported run with SyncCP and CDG together (no preset has
  // both) lost CDG on Tiny, each of its settings refused as "applies only when CDG is on".
  it('an imported run with a method its preset lacks keeps it over Tiny on and off, stays the imported run, and takes edits', () => {
    const config = buildConfig({ preset: 'syncp-2of4', overrides: { cdg: { beta: 0.5, density: 0.6 }, seed: 5 } });
    useSettings.setState({ preset: 'syncp-2of4', tiny: false, draft: draftOf(config), applied: config, issues: {}, importedBase: config, importedName: 'run.zip', edited: [] });
    actions.restart();
    actions.setTiny(true);
    let s = useSettings.getState();
    const tinyPreset = buildConfig({ preset: 'syncp-2of4', tiny: true });
    expect(s.issues).toEqual({});
    expect(s.applied.cdg).toMatchObject({ beta: 0.5, density: 0.6 });
    expect(s.applied.syncp?.granularity).toBe('nm');
    expect([s.applied.seed, s.applied.batchSize, s.applied.data.trainCount]).toEqual([5, tinyPreset.batchSize, tinyPreset.data.trainCount]);
    expect(s.importedName).toBe('run.zip');
    // An edit applies over the run, CDG included.
    expect(actions.setField('cdg.density', '0.7')).toBe(true);
    expect(useSettings.getState().applied.cdg?.density).toBe(0.7);
    actions.setTiny(false);
    s = useSettings.getState();
    expect(s.issues).toEqual({});
    expect(s.applied.cdg).toMatchObject({ beta: 0.5, density: 0.7 });
    expect([s.applied.seed, s.applied.batchSize]).toEqual([5, buildConfig({ preset: 'syncp-2of4' }).batchSize]);
  });

  it('Tiny off with changed training images that the default batch does not fit: that setting alone goes, said at its field; seed and temperature stay', () => {
    const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { seed: 7, ssl: { temperature: 0.5 }, data: { trainCount: 20 } } });
    useSettings.setState({ preset: 'simclr-dense', tiny: true, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
    actions.restart();
    actions.setTiny(false);
    const s = useSettings.getState();
    expect(s.tiny).toBe(false);
    expect([s.applied.seed, s.applied.ssl.temperature]).toEqual([7, 0.5]);
    // The default batch (32) over 20 images is what the schema refuses: the images take the default size's count.
    expect(s.applied.data.trainCount).toBe(buildConfig({ preset: 'simclr-dense' }).data.trainCount);
    expect(s.issues['data.trainCount']).toMatch(/^20 does not fit the default size \(the batch cannot be larger than the training images.*\): its value is used$/);
  });

  it('with every change fitting, nothing is said', () => {
    const config = buildConfig({ preset: 'simclr-dense', overrides: { optim: { lr: 0.004 } } });
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
    actions.restart();
    actions.setTiny(true);
    expect(useSettings.getState().applied.optim.lr).toBe(0.004);
    expect(useSettings.getState().issues).toEqual({});
  });

  // Found by a read-only hunt: a setting equal to the value of the size being left was taken
  // for that size's, and forgotten on the way back.
  it('a setting a person typed keeps its value over Tiny on and off, also one equal to the tiny size\'s', () => {
    const config = buildConfig({ preset: 'simclr-dense' });
    useSettings.setState({ preset: 'simclr-dense', tiny: false, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined, edited: [] });
    actions.restart();
    const tiny = buildConfig({ preset: 'simclr-dense', tiny: true });
    expect(tiny.steps).not.toBe(config.steps);
    actions.setField('steps', String(tiny.steps)); // typed: the tiny size's own value
    actions.setTiny(true);
    actions.setTiny(false);
    const s = useSettings.getState();
    expect(s.applied.steps).toBe(tiny.steps);
    expect(s.draft.steps).toBe(String(tiny.steps));
    // What was not typed comes from the size: the default eval interval, not tiny's.
    expect(s.applied.eval.knnEvery).toBe(config.eval.knnEvery);
  });

  it('a setting a link names is the person\'s too; a new preset forgets what was typed', () => {
    const tiny = buildConfig({ preset: 'simclr-dense', tiny: true });
    const plain = buildConfig({ preset: 'simclr-dense' });
    vi.stubGlobal('location', new URL(`http://127.0.0.1/?preset=simclr-dense&tiny=1&steps=${tiny.steps}`));
    loadFromUrl();
    expect(useSettings.getState().edited).toEqual(['steps']);
    actions.restart();
    actions.setTiny(false);
    expect(useSettings.getState().applied.steps).toBe(tiny.steps);
    actions.setPreset('byol-dense');
    actions.setTiny(true);
    actions.setTiny(false);
    expect(useSettings.getState().applied.steps).toBe(buildConfig({ preset: 'byol-dense' }).steps);
    expect(plain.steps).not.toBe(tiny.steps);
  });
});
