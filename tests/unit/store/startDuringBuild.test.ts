// A Start pressed while a run is being built starts it once built (README); a setting
// changed before that build finished replaced the run and dropped the Start with it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { FakeWorker, stubPage } from './fakeWorker';

type Sent = { type: string; gen?: number };

/** The worker says the run last asked for is built ('ready', before its baselines). */
function answerReady() {
  const w = FakeWorker.last!;
  const sent = w.sent as Sent[];
  const gen = sent.filter((m) => m.type === 'init' || m.type === 'configure' || m.type === 'reset').at(-1)!.gen!;
  const config = useSettings.getState().applied;
  w.dispatchEvent(new MessageEvent('message', { data: { type: 'ready', gen, config, dataset: { name: 'shapes', classes: ['a'], trainCount: 1, testCount: 1, imageSize: 16, channels: 3 }, flops: { dense: 1, effective: 1 }, tensors: 0 } }));
  return { w, sent, gen };
}

describe('a Start pressed during a build', () => {
  beforeEach(() => {
    stubPage();
    const config = buildConfig({ preset: 'simclr-dense', tiny: true });
    useSettings.setState({ preset: 'simclr-dense', tiny: true, draft: draftOf(config), applied: config, issues: {}, importedBase: undefined, importedName: undefined });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('carries over to the run that replaces the one it meant, when a setting changes before the build ends', () => {
    actions.restart();
    expect(useRun.getState().building).toBe(true);
    actions.start();
    expect(actions.setField('optim.lr', '0.002')).toBe(true);
    const sent = FakeWorker.last!.sent as Sent[];
    const configure = sent.filter((m) => m.type === 'configure').at(-1)!;
    expect(sent.at(-1)).toEqual({ type: 'start', gen: configure.gen });
    expect(useRun.getState().pending).toBe('start');
  });

  // Found by a read-only hunt: the worker says 'ready' before its baselines' kNN passes and
  // answers the Start only after them; a setting changed in between dropped the Start.
  it('carries over also when the setting changes after the build said ready, before the Start was answered', () => {
    actions.restart();
    actions.start();
    const { w, sent, gen } = answerReady();
    expect([useRun.getState().building, useRun.getState().phase, useRun.getState().pending]).toEqual([false, 'idle', 'start']);
    expect(actions.setField('optim.lr', '0.002')).toBe(true);
    const configure = sent.filter((m) => m.type === 'configure').at(-1)!;
    expect(configure.gen).toBeGreaterThan(gen);
    expect(sent.at(-1)).toEqual({ type: 'start', gen: configure.gen });
    expect(useRun.getState().pending).toBe('start');
  });

  // From a UI hunt: a Step was dropped the same way (the worker now drops it for the run being replaced).
  it('a Step pressed during the build carries over too, as a Step', () => {
    actions.restart();
    actions.step();
    expect(useRun.getState().pending).toBe('step');
    expect(actions.setField('optim.lr', '0.002')).toBe(true);
    const sent = FakeWorker.last!.sent as Sent[];
    const configure = sent.filter((m) => m.type === 'configure').at(-1)!;
    expect(sent.at(-1)).toEqual({ type: 'step', gen: configure.gen });
    expect(sent.filter((m) => m.type === 'start')).toEqual([]);
    expect(useRun.getState().pending).toBe('step');
  });

  // From a review: once the run is built with its baselines, the worker may have begun the
  // Step (its 'stepping' is on its way): carried over, the new run would step as well.
  it('a Step pressed on a built run is not carried over to the next one', () => {
    actions.restart();
    const { w, sent, gen } = answerReady();
    w.dispatchEvent(new MessageEvent('message', { data: { type: 'baselines', gen, baselines: { untrained: 0.1, rawPixels: 0.2 } } }));
    actions.step();
    expect(actions.setField('optim.lr', '0.002')).toBe(true);
    expect(sent.at(-1)!.type).toBe('configure');
  });

  it('is not invented: a setting changed with no Start pending rebuilds without starting', () => {
    actions.restart();
    expect(actions.setField('optim.lr', '0.002')).toBe(true);
    const sent = FakeWorker.last!.sent as Sent[];
    expect(sent.at(-1)!.type).toBe('configure');
    expect(sent.some((m) => m.type === 'start')).toBe(false);
  });
});
