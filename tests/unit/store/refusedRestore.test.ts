// Resume or Import refused by the worker, clicked at any moment: the page and the worker end
// up agreeing on the live run (the page moved to a new generation when it sent the file, and
// dropped what the live run posted since). The real controller and the real CommandQueue,
// over a fake host (queueWorker.ts). Found by a review; each case failed before the fix.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { actions } from '../../../src/store/controller';
import { useMetrics } from '../../../src/store/metrics';
import { useRun } from '../../../src/store/run';
import { draftOf, useSettings } from '../../../src/store/settings';
import { runButtons } from '../../../src/ui/keys';
import { behaviour, QueueWorker, RESTORED_CONFIG, settle, stubQueueWorker } from './queueWorker';

const liveRuns = () => QueueWorker.last!.runs.filter((r) => !r.disposed);

// Every test starts from a fresh page's settings (an earlier test's restore changed preset
// and draft) and a fake host that refuses every restore, unless the test says otherwise.
beforeEach(() => {
  stubQueueWorker();
  const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 1000 } });
  useSettings.setState({ applied: config, draft: draftOf(config), issues: {}, preset: 'simclr-dense', tiny: true, backend: 'cpu', importedBase: undefined, importedName: undefined });
  useRun.setState({ error: undefined, restoring: undefined, ownData: undefined });
  Object.assign(behaviour, { stepMs: 5, refuse: () => true, exportFails: false, loadFails: false, announceFails: false, restores: 0 });
});
afterEach(() => vi.unstubAllGlobals());

describe('a refused resume or import', () => {
  it('before the first run is built: the page gets that run (Start works) and says why the file was refused', async () => {
    actions.restart();
    actions.resume(); // the offer shows before the first build is done
    await settle();
    expect(liveRuns()).toHaveLength(1);
    const s = useRun.getState();
    expect([s.hasRun, s.building, s.restoring]).toEqual([true, false, undefined]);
    expect(runButtons(s).start).toBe(true);
    expect(s.error?.message).toContain('Could not resume the saved run');
  });

  it('after a build that failed unheard: the page shows no run (Start off) and says why, beside the refusal', async () => {
    actions.restart();
    await settle();
    actions.step();
    await settle();
    // The page believes own images are loaded; the worker has none, so this build fails …
    useRun.setState({ ownData: { count: 10 } as never });
    actions.setField('data.name', 'own');
    actions.resume(); // … and its answer is dropped as stale: the page has moved on to the resume
    await settle();
    expect(liveRuns()).toHaveLength(0);
    const s = useRun.getState();
    expect([s.hasRun, s.building, s.restoring, s.step]).toEqual([false, false, undefined, 0]);
    expect(useMetrics.getState().rows).toEqual([]);
    expect(runButtons(s).start).toBe(false);
    expect(s.error?.message).toMatch(/^Could not resume the saved run: .*no run is live either\. Cannot build this run: no own data is loaded yet/);
  });

  it('while a dense timing is on its way: the button is released', async () => {
    actions.restart();
    await settle();
    actions.step();
    await settle();
    actions.measureDense();
    actions.resume();
    await settle();
    expect(useRun.getState().measuringDense).toBe(false);
  });

  it('after a dense timing: the measured line stays (the run is announced again, its timing with it)', async () => {
    actions.restart();
    await settle();
    actions.step();
    await settle();
    actions.measureDense();
    await settle();
    const timing = useRun.getState().denseTiming;
    expect(timing).toEqual({ step: 1, runMs: 1, denseMs: 2, counted: 0.5 });
    actions.resume();
    await settle();
    expect(useRun.getState().error?.message).toContain('Could not resume');
    expect(useRun.getState().denseTiming).toEqual(timing);
    // A resume that fits is another run: no timing of the run before is said about it.
    behaviour.refuse = () => false;
    actions.resume();
    await settle();
    expect(useRun.getState().step).toBe(5);
    expect(useRun.getState().denseTiming).toBeUndefined();
    // Nor when a later refusal announces the resumed run again.
    behaviour.refuse = () => true;
    actions.resume();
    await settle();
    expect(useRun.getState().error?.message).toContain('Could not resume');
    expect(useRun.getState().denseTiming).toBeUndefined();
  });

  it('while training: no step is missing from the charts', async () => {
    behaviour.stepMs = 15;
    actions.restart();
    await settle();
    actions.start();
    // Steps waited for, not slept: a timer stalled on a loaded machine left too few.
    await vi.waitFor(() => expect(liveRuns()[0]?.step ?? 0).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 2 });
    actions.resume();
    // Two more steps after the refusal was said: the rows posted after it are the ones in question.
    await vi.waitFor(() => expect(useRun.getState().error?.message).toContain('Could not resume'), { timeout: 20_000, interval: 2 });
    const atRefusal = liveRuns()[0].step;
    await vi.waitFor(() => expect(liveRuns()[0].step).toBeGreaterThanOrEqual(atRefusal + 2), { timeout: 20_000, interval: 2 });
    actions.pause();
    await settle();
    const steps = useMetrics.getState().rows.map((r) => r.step);
    const last = liveRuns()[0].step;
    expect(last).toBeGreaterThan(2);
    // Every step of the live run once, in order: 1, 2, …, its last.
    expect(steps).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(useRun.getState().step).toBe(last);
  });

  it('right after one that fits: the page shows the run the first one made live, settings included', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = (n) => n === 1;
    actions.resume(); // fits …
    actions.resume(); // … the next one, sent before the first was loaded, does not
    await settle();
    const [live] = liveRuns();
    expect(live.config).toBe(RESTORED_CONFIG);
    expect(useRun.getState().config).toEqual(RESTORED_CONFIG);
    expect(useSettings.getState().preset).toBe('syncp-2of4');
    expect(useRun.getState().step).toBe(5);
    expect(useRun.getState().error?.message).toContain('Could not resume');
  });
});

describe('a refused file after one that fits and was shown', () => {
  beforeEach(() => {
    behaviour.refuse = (n) => n === 1; // the first fits, the second does not
  });

  it('keeps the settings being typed (the run is said again, its settings are not)', async () => {
    actions.restart();
    await settle();
    actions.resume(); // fits, and the page shows it
    await settle();
    expect(useSettings.getState().preset).toBe('syncp-2of4');
    actions.setField('steps', '12x'); // not a number: shown inline, not applied
    expect(useSettings.getState().issues.steps).toBeDefined();
    actions.resume(); // refused
    await settle();
    expect(useRun.getState().error?.message).toContain('Could not resume');
    expect(useSettings.getState().draft.steps).toBe('12x');
    expect(useSettings.getState().issues.steps).toBeDefined();
  });
});

describe('other answers a click may get', () => {
  it('a failed export says so, and the worker is not taken for crashed', async () => {
    actions.restart();
    await settle();
    behaviour.exportFails = true;
    await actions.exportRun();
    await settle();
    const s = useRun.getState();
    expect(s.worker).toBe('ready');
    expect(s.error?.message).toContain('Could not export');
    expect(runButtons(s).start).toBe(true);
  });

  it('own images that finish loading after a resume was asked for do not rebuild over the resumed run', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = () => false;
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    actions.resume(); // sent while the images are still being decoded
    await settle();
    expect(liveRuns().map((r) => r.config)).toEqual([RESTORED_CONFIG]);
    expect(useSettings.getState().preset).toBe('syncp-2of4');
    expect(useRun.getState().ownData?.trainCount).toBe(16); // the images are loaded, for a later run
  });

  it('a resume asked for while the files are still being read (posted before them) is not rebuilt over when they load', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = () => false;
    // The read of the files ends only after Resume was pressed: the restore reaches the
    // worker first, its run is restored, and data-loaded comes after 'restored'.
    let release!: (f: { path: string; file: File }[]) => void;
    const picked = new Promise<{ path: string; file: File }[]>((r) => (release = r));
    const loading = actions.loadOwnData(picked);
    actions.resume();
    await settle();
    expect(liveRuns().map((r) => r.config)).toEqual([RESTORED_CONFIG]);
    release([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    await loading;
    await settle();
    expect(liveRuns().map((r) => r.config)).toEqual([RESTORED_CONFIG]);
    expect(useSettings.getState().preset).toBe('syncp-2of4');
    expect(useRun.getState().ownData?.trainCount).toBe(16); // loaded, for a later run
  });

  it('own images that finish loading during a resume that is refused are trained on then', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = () => true;
    await actions.loadOwnData([{ path: 'a/1.png', file: new File([new Uint8Array(8)], '1.png') }]);
    actions.resume();
    await settle();
    expect(useRun.getState().error?.message).toContain('Could not resume');
    expect(useSettings.getState().applied.data.name).toBe('own');
    expect(liveRuns().map((r) => r.config.data.name)).toEqual(['own']);
  });

  it('own files that cannot be read, while a new run is being built: the page keeps waiting for that run', async () => {
    actions.restart();
    await settle();
    behaviour.loadFails = true;
    await actions.loadOwnData([{ path: 'a/1.txt', file: new File(['x'], '1.txt') }]);
    actions.setField('steps', '500'); // a new run, built after the failed read in the worker's queue
    const atError: boolean[] = [];
    const unsubscribe = useRun.subscribe((s) => {
      if (s.error?.kind === 'data' && atError.length === 0) atError.push(s.building);
    });
    await settle();
    unsubscribe();
    expect(atError).toEqual([true]); // still building when the read error came: no Start for the old run meanwhile
    expect(useRun.getState()).toMatchObject({ building: false, hasRun: true, loadingData: false });
    expect(useRun.getState().config?.steps).toBe(500);
  });

  it('while a resume is on its way Reset is not offered; a setting changed meanwhile wins, and nothing is left pending', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = () => false;
    actions.resume();
    // Reset would make the worker reset the run the resume brings, which the page never showed.
    expect(runButtons(useRun.getState()).reset).toBe(false);
    actions.setField('steps', '400');
    await settle();
    expect(useRun.getState().restoring).toBeUndefined();
    expect(runButtons(useRun.getState()).reset).toBe(true);
    expect(liveRuns().map((r) => r.config.steps)).toEqual([400]);
    expect(useRun.getState().config?.steps).toBe(400);
  });

  it('a resume whose first readback loses the GPU: said with the error, nothing left pending, Restart does not blame itself', async () => {
    actions.restart();
    await settle();
    behaviour.refuse = () => false;
    behaviour.announceFails = true;
    actions.resume();
    await settle();
    let s = useRun.getState();
    expect(s.worker).toBe('crashed');
    expect(s.restoring).toBeUndefined();
    expect(s.error?.message).toMatch(/the GPU device was lost.*The saved run was not resumed: press Restart, then load it again\./);
    behaviour.announceFails = false;
    actions.restart();
    await settle();
    s = useRun.getState();
    expect(s.error?.message ?? '').not.toMatch(/restarted before it was loaded/);
    expect(runButtons(s).start).toBe(true);
  });

  it('a restart while a file is on its way says it was not loaded, and no resume is left pending', async () => {
    actions.restart();
    await settle();
    actions.resume();
    actions.restart();
    await settle();
    const s = useRun.getState();
    expect(s.restoring).toBeUndefined();
    expect(s.error?.message).toMatch(/not resumed: the training worker was restarted/);
    expect(runButtons(s).start).toBe(true);
  });
});

describe('the tiny size switched on or off', () => {
  it('keeps the settings changed from the preset, over the other size', async () => {
    actions.restart();
    await settle();
    actions.setPreset('syncp-2of4');
    actions.setField('optim.lr', '0.02');
    actions.setField('seed', '7');
    actions.setField('syncp.gap', '0.1');
    await settle();
    actions.setTiny(false);
    await settle();
    const c = useSettings.getState().applied;
    const plain = buildConfig({ preset: 'syncp-2of4' });
    expect([c.optim.lr, c.seed, c.syncp?.gap]).toEqual([0.02, 7, 0.1]);
    // What the size sets comes from the size: the default steps and batch, not tiny's.
    expect([c.steps, c.batchSize]).toEqual([plain.steps, plain.batchSize]);
    expect(useRun.getState().config).toEqual(c);
  });
});
