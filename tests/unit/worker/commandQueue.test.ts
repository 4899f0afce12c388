// The worker's command queue against a fake trainer with random latencies: commands are
// handled in order against the run they name, nothing runs on a disposed run, every
// command is answered, and whatever the sequence, a final Start trains the newest run.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { buildConfig, type Config } from '../../../src/engine/config';
import { CommandQueue, type RunHandle, type RunHost } from '../../../src/worker/commandQueue';
import type { Request, Response } from '../../../src/worker/protocol';

class FakeRun implements RunHandle {
  step = 0;
  disposed = false;
  constructor(
    readonly gen: number,
    readonly total: number,
  ) {}
  dispose(): void {
    this.disposed = true;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A host whose builds and steps take `latency()` ms and that records every misuse. */
function fakeHost(latency: () => number) {
  const posts: Response[] = [];
  /** Replies per request: `current` is the request being handled when a message is posted. */
  const replies = new Map<Request, Response[]>();
  const tag = { current: undefined as Request | undefined };
  const violations: string[] = [];
  const failures: unknown[] = [];
  const failGens: (number | undefined)[] = [];
  const built: FakeRun[] = [];
  const discarded: FakeRun[] = [];
  const stepsOf = new Map<number, number>();
  const host: RunHost<FakeRun> = {
    async init() {
      await sleep(latency());
    },
    async build(config: Config, gen: number) {
      await sleep(latency());
      // A config this fake refuses, standing for one the engine cannot build.
      if (config.steps === 13) throw new Error('steps 13 cannot run');
      const run = new FakeRun(gen, config.steps);
      built.push(run);
      host.post({ type: 'ready', gen, config, dataset: undefined as never, flops: { dense: 1, effective: 1 }, tensors: 0 });
      return run;
    },
    async step(run, gen) {
      if (run.disposed) violations.push(`step on disposed run ${run.gen}`);
      if (gen !== run.gen) violations.push(`step of run ${run.gen} reported as ${gen}`);
      await sleep(latency());
      if (run.disposed) violations.push(`run ${run.gen} disposed during its step`);
      run.step += 1;
      stepsOf.set(run.gen, run.step);
    },
    async report(run) {
      if (run.disposed) violations.push(`report on disposed run ${run.gen}`);
    },
    async exportRun(run, gen) {
      if (run.disposed) violations.push(`export of disposed run ${run.gen}`);
      host.post({ type: 'exported', gen, run: undefined as never, bundle: new Uint8Array() });
    },
    // A saved run "fits" unless its name says otherwise; a restored run starts at step 2.
    async restore(source) {
      await sleep(latency());
      if (source.kind === 'import' && source.name === 'bad') throw new Error('saved state: online.var.x has shape [2], this run needs [3]');
      const run = new FakeRun(source.kind === 'import' && source.name === 'unreadable' ? -2 : -1, 5);
      run.step = 2;
      built.push(run);
      return run;
    },
    discardRestored(run) {
      if (run.disposed) violations.push(`discard of disposed run ${run.gen}`);
      run.disposed = true;
      discarded.push(run);
    },
    // As the worker: the run answers to `gen` from now on, and the page hears `ready` for it.
    async announce(run, gen) {
      if (run.disposed) violations.push(`announce of disposed run ${run.gen}`);
      // A restored run whose first readback fails (a lost GPU); or the live run's, once flagged.
      if (run.gen === -2 || (run as { unreadable?: boolean }).unreadable) throw new Error('readback failed');
      (run as { gen: number }).gen = gen;
      host.post({ type: 'ready', gen, config: buildConfig(), dataset: undefined as never, flops: { dense: 1, effective: 1 }, tensors: 0 });
    },
    configOf: () => buildConfig({ overrides: { steps: 5 } }),
    async selectLayer(run) {
      if (run.disposed) violations.push(`select-layer on disposed run ${run.gen}`);
      return true;
    },
    async measureDense(run) {
      if (run.disposed) violations.push(`measure-dense on disposed run ${run.gen}`);
      return { step: 0, runMs: 1, denseMs: 1, counted: 1 };
    },
    async loadData() {
      await sleep(latency());
    },
    scaleLearningRate(run) {
      if (run.disposed) violations.push(`lr change on disposed run ${run.gen}`);
      return buildConfig();
    },
    post: (m) => {
      posts.push(m);
      if (tag.current) replies.set(tag.current, [...(replies.get(tag.current) ?? []), m]);
    },
    fail: (e, gen) => {
      failures.push(e);
      failGens.push(gen);
    },
    yieldTask: () => sleep(0),
  };
  return { host, posts, violations, failures, failGens, built, discarded, stepsOf, replies, tag };
}

const config = (steps: number) => buildConfig({ overrides: { steps } });

/** What the page does: a build bumps its generation; a run command carries the current one. */
type Action =
  | { kind: 'configure'; steps: number }
  | { kind: 'reset' }
  | { kind: 'start' | 'pause' | 'step' | 'export' | 'select-layer' | 'continue' }
  | { kind: 'wait'; ms: number };

function toRequest(a: Exclude<Action, { kind: 'wait' }>, page: { gen: number }): Request {
  switch (a.kind) {
    case 'configure':
      return { type: 'configure', gen: ++page.gen, config: config(a.steps) };
    case 'reset':
      return { type: 'reset', gen: ++page.gen };
    case 'select-layer':
      return { type: 'select-layer', gen: page.gen, layer: 'x' };
    case 'continue':
      return { type: 'continue', gen: page.gen, factor: 0.5 };
    default:
      return { type: a.kind, gen: page.gen };
  }
}

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('configure' as const), steps: fc.constantFrom(3, 6, 13) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 3, arbitrary: fc.constantFrom(...(['start', 'pause', 'step', 'export', 'select-layer', 'continue'] as const)).map((kind) => ({ kind })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }).map((ms) => ({ kind: 'wait' as const, ms })) },
);

describe('CommandQueue', () => {
  it('restore: a saved run that fits replaces the live one; one that does not is refused and the live run goes on under the new generation', async () => {
    const f = fakeHost(() => 2);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(6), assetBase: '' });
    q.push({ type: 'step', gen: 1 });
    q.push({ type: 'restore', gen: 2, source: { kind: 'import', name: 'bad', bytes: new Uint8Array() } });
    await q.settled();
    const live = f.built[0];
    // Refused: the refusal, then the live run announced again under generation 2 (the page
    // dropped its messages once it moved to 2); the fake checks a step's generation against its run's.
    const error = f.posts.findIndex((p) => p.type === 'error');
    expect(f.posts[error]).toMatchObject({ gen: 2, kind: 'import', message: expect.stringContaining('this run needs') });
    expect(f.posts[error + 1]).toMatchObject({ type: 'ready', gen: 2 });
    q.push({ type: 'step', gen: 2 });
    await q.settled();
    // The first run was not disposed, and the page's next command (generation 2) trained it.
    expect(live.disposed).toBe(false);
    expect(live.step).toBe(2);
    q.push({ type: 'restore', gen: 3, source: { kind: 'autosave' } });
    q.push({ type: 'step', gen: 3 });
    await q.settled();
    expect(live.disposed).toBe(true);
    const restored = f.built[1];
    expect(restored.step).toBe(3); // restored at step 2, then one step
    expect(f.posts.filter((p) => p.type === 'restored').map((p) => p.gen)).toEqual([3]);
    expect(f.violations).toEqual([]);
  });

  // Found by a read-only hunt: a resume the page replaced while it was read (a setting
  // changed) still went live in the worker with the own images it brought, and the build
  // the page asked for then trained on those.
  it.each(['configure', 'reset'] as const)('a restore replaced by a %s queued while it was read is discarded, never announced', async (next) => {
    const f = fakeHost(() => 3);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(6), assetBase: '' });
    await q.settled();
    q.push({ type: 'restore', gen: 2, source: { kind: 'autosave' } });
    await sleep(1); // the restore is being read
    q.push(next === 'configure' ? { type: 'configure', gen: 3, config: config(7) } : { type: 'reset', gen: 3 });
    await q.settled();
    expect(f.discarded).toHaveLength(1);
    const ofGen = (g: number) => f.posts.filter((p) => 'gen' in p && p.gen === g).map((p) => p.type);
    expect(ofGen(2)).toEqual(['ignored']);
    expect(f.posts.some((p) => p.type === 'restored' && p.gen === 2)).toBe(false);
    // What the page asked for last is what is live.
    expect(ofGen(3)).toContain('ready');
    expect(f.violations).toEqual([]);
  });

  // Found by a read-only hunt: a timing the page dropped when a divergence rolled the run
  // back past it came back with a refused import's announcement.
  it('a refused import says the dense timing again only if no divergence has rolled the run back past it, also once the run trains past that step again', async () => {
    const f = fakeHost(() => 1);
    f.host.measureDense = async (run) => ({ step: run.step, runMs: 1, denseMs: 1, counted: 1 });
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(50), assetBase: '' });
    q.push({ type: 'step', gen: 1 });
    q.push({ type: 'step', gen: 1 });
    q.push({ type: 'measure-dense', gen: 1 });
    q.push({ type: 'restore', gen: 2, source: { kind: 'import', name: 'bad', bytes: new Uint8Array() } });
    await q.settled();
    const timings = () => f.posts.filter((p) => p.type === 'dense-timing');
    expect(timings().map((p) => p.gen)).toEqual([1, 2]); // measured, and said again with the live run
    // The next step diverges and is rolled back to step 1 (before the timing's step 2).
    const step = f.host.step;
    f.host.step = async (run) => {
      run.step = 1;
      throw new Error('diverged');
    };
    q.push({ type: 'step', gen: 2 });
    await q.settled();
    f.host.step = step;
    // Trained past step 2 again: the timing still belongs to the state that was undone.
    for (let i = 0; i < 3; i++) q.push({ type: 'step', gen: 2 });
    q.push({ type: 'restore', gen: 3, source: { kind: 'import', name: 'bad', bytes: new Uint8Array() } });
    await q.settled();
    expect(f.built[0].step).toBe(4);
    expect(f.posts.filter((p) => p.type === 'error' && p.gen === 3)).toHaveLength(1);
    expect(timings().map((p) => p.gen)).toEqual([1, 2]);
  });

  // Found by a read-only hunt: a report that failed (a readback on a lost GPU) skipped the
  // phase, and the page stayed 'stepping' or 'running' with its settings locked.
  it.each(['step', 'pause'] as const)('a %s whose report fails still says the phase, then the failure', async (command) => {
    const f = fakeHost(() => 1);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(50), assetBase: '' });
    await q.settled();
    // Only the report a command asks for (training's own reports go on).
    f.host.report = async (_run, _gen, now) => {
      if (now) throw new Error('GPU device was lost');
    };
    if (command === 'pause') {
      q.push({ type: 'start', gen: 1 });
      await sleep(5);
    }
    const before = f.posts.length;
    q.push({ type: command, gen: 1 });
    await q.settled();
    const after = f.posts.slice(before).filter((p) => p.type === 'phase');
    expect(after.at(-1)).toMatchObject({ type: 'phase', phase: 'idle' });
    expect(f.failures.map((e) => (e as Error).message)).toEqual(['GPU device was lost']);
    expect(q.isRunning).toBe(false);
  });

  it('a step that fails, then its report too: the step\'s own failure is the one said, by Step as by Start', async () => {
    for (const command of ['step', 'start'] as const) {
      const f = fakeHost(() => 2);
      const q = new CommandQueue(f.host);
      q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(6), assetBase: '' });
      await q.settled();
      f.host.step = async () => {
        throw new Error('step undone: readback failed');
      };
      f.host.report = async (_run, _gen, now) => {
        if (now) throw new Error('snapshot readback failed');
      };
      q.push({ type: command, gen: 1 });
      await q.settled();
      expect(f.failures.map((e) => (e as Error).message), command).toEqual(['step undone: readback failed']);
      expect(f.posts.filter((p) => p.type === 'phase').at(-1), command).toMatchObject({ phase: 'idle' });
    }
  });

  it('a restored run that cannot be announced is a failure of that run, and the commands queued behind it are answered', async () => {
    const f = fakeHost(() => 2);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(6), assetBase: '' });
    await q.settled();
    q.push({ type: 'restore', gen: 2, source: { kind: 'import', name: 'unreadable', bytes: new Uint8Array() } });
    q.push({ type: 'pause', gen: 2 });
    // Before, the throw left pump: settled() never resolved and the pause had no answer.
    await q.settled();
    expect(f.failures.map((e) => (e as Error).message)).toEqual(['readback failed']);
    expect(f.failGens).toEqual([2]);
    expect(f.posts.filter((p) => p.type === 'restored')).toEqual([]);
    const phases = f.posts.filter((p) => p.type === 'phase');
    expect(phases.length).toBeGreaterThanOrEqual(2);
    expect(phases.at(-1)).toMatchObject({ gen: 2 });
    expect(f.violations).toEqual([]);
  });

  it('a refused restore whose re-announcement of the live run fails stops that run, as the failure says', async () => {
    const f = fakeHost(() => 2);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(200), assetBase: '' });
    q.push({ type: 'start', gen: 1 });
    while ((f.built[0]?.step ?? 0) < 2) await sleep(1);
    (f.built[0] as { unreadable?: boolean }).unreadable = true;
    q.push({ type: 'restore', gen: 2, source: { kind: 'import', name: 'bad', bytes: new Uint8Array() } });
    // settled(): the queue stopped pumping, which it does only when the run is not training.
    await q.settled();
    // Before, it trained on to its end (and autosaved) under the page's "crashed" banner.
    expect(f.built[0].step).toBeLessThan(f.built[0].total);
    expect(f.failures.map((e) => (e as Error).message)).toEqual(['readback failed']);
    expect(f.posts.filter((p) => p.type === 'phase').at(-1)).toMatchObject({ phase: 'idle' });
  });

  it('restore refused while the live run trains: it trains on under the new generation, to its end', async () => {
    const f = fakeHost(() => 3);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(200), assetBase: '' });
    q.push({ type: 'start', gen: 1 });
    // A few steps in, far from the end (200 steps of ≥ 3 ms), however late a timer fires.
    while ((f.built[0]?.step ?? 0) < 2) await sleep(1);
    q.push({ type: 'restore', gen: 2, source: { kind: 'import', name: 'bad', bytes: new Uint8Array() } });
    await q.settled();
    const live = f.built[0];
    const error = f.posts.findIndex((p) => p.type === 'error');
    expect(f.posts[error]).toMatchObject({ gen: 2, kind: 'import' });
    expect(f.posts[error + 1]).toMatchObject({ type: 'ready', gen: 2 });
    expect(f.posts[error + 2]).toMatchObject({ type: 'phase', gen: 2, phase: 'running' });
    expect(live.disposed).toBe(false);
    expect(live.step).toBe(200);
    expect(f.posts.filter((p) => p.type === 'phase').at(-1)).toMatchObject({ gen: 2, phase: 'done' });
    // Announced as 2, the run's every later step is reported as 2.
    expect(f.violations).toEqual([]);
  });

  it('Start right after a preset change trains the new run (the "trainer is disposed" bug)', async () => {
    const f = fakeHost(() => 5);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(4), assetBase: '' });
    // The preset changes while the first run is still being built, and Start follows at once.
    q.push({ type: 'configure', gen: 2, config: config(3) });
    q.push({ type: 'start', gen: 2 });
    await q.settled();
    expect(f.violations).toEqual([]);
    expect(f.failures).toEqual([]);
    // The first build was superseded before it started: only run 2 exists, and it ran to the end.
    expect(f.built.map((r) => r.gen)).toEqual([2]);
    expect(f.stepsOf.get(2)).toBe(3);
    const phases = f.posts.filter((p) => p.type === 'phase').map((p) => (p as { phase: string }).phase);
    expect(phases.slice(-2)).toEqual(['running', 'done']);
  });

  // From a UI hunt: a Step pressed during a build, then a setting changed, stepped the run
  // about to be replaced, and its report autosaved it over the saved run.
  /** A queue whose run 1 (5 steps) is being built when this resolves. */
  async function whileRunOneBuilds(f: ReturnType<typeof fakeHost>): Promise<CommandQueue<FakeRun>> {
    let building!: () => void;
    const buildStarted = new Promise<void>((r) => (building = r));
    const build = f.host.build;
    f.host.build = (c, gen) => {
      building();
      return build(c, gen);
    };
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(5), assetBase: '' });
    await buildStarted;
    return q;
  }

  it('a step with a later build waiting behind it is answered, not executed (nothing stepped, nothing saved)', async () => {
    const f = fakeHost(() => 5);
    const reported: number[] = [];
    const report = f.host.report;
    f.host.report = async (run, gen, force) => {
      reported.push(run.gen);
      return report(run, gen, force);
    };
    // The Step, then the setting, while run 1 is being built.
    const q = await whileRunOneBuilds(f);
    q.push({ type: 'step', gen: 1 });
    q.push({ type: 'configure', gen: 2, config: config(5) });
    q.push({ type: 'step', gen: 2 });
    await q.settled();
    expect(f.built.map((r) => r.gen)).toEqual([1, 2]);
    expect(f.stepsOf.get(1)).toBeUndefined();
    expect(reported).not.toContain(1);
    expect(f.stepsOf.get(2)).toBe(1);
    const ignored = f.posts.filter((p) => p.type === 'ignored') as { command: string; gen: number; reason: string }[];
    expect(ignored).toContainEqual(expect.objectContaining({ command: 'step', gen: 1, reason: 'superseded by a later build before it ran' }));
    expect(f.violations).toEqual([]);
  });

  // From a dense-timing hunt: Measure, then a setting changed while the worker was busy: the
  // throw-away dense network was built and timed for a run about to go, delaying its build.
  it('a dense timing with a later build waiting behind it is answered, not run', async () => {
    const f = fakeHost(() => 5);
    let measured = 0;
    const measure = f.host.measureDense;
    f.host.measureDense = async (run, gen) => {
      measured++;
      return measure(run, gen);
    };
    const q = await whileRunOneBuilds(f);
    q.push({ type: 'measure-dense', gen: 1 });
    q.push({ type: 'configure', gen: 2, config: config(5) });
    q.push({ type: 'measure-dense', gen: 2 });
    await q.settled();
    expect(measured).toBe(1);
    const ignored = f.posts.filter((p) => p.type === 'ignored') as { command: string; gen: number; reason: string }[];
    expect(ignored).toContainEqual(expect.objectContaining({ command: 'measure-dense', gen: 1, reason: 'superseded by a later build before it ran' }));
    expect(f.posts.filter((p) => p.type === 'dense-timing').map((p) => (p as { gen: number }).gen)).toEqual([2]);
  });

  it('a start for a replaced run is answered, not executed', async () => {
    const f = fakeHost(() => 2);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(5), assetBase: '' });
    q.push({ type: 'configure', gen: 2, config: config(5) });
    q.push({ type: 'start', gen: 1 });
    q.push({ type: 'export', gen: 1 });
    await q.settled();
    expect(f.stepsOf.size).toBe(0);
    const ignored = f.posts.filter((p) => p.type === 'ignored');
    expect(ignored.map((p) => (p as { command: string }).command)).toEqual(['init', 'start', 'export']);
    expect(f.violations).toEqual([]);
  });

  it('pause during a step stops after that step, and step while running is refused with an answer', async () => {
    const f = fakeHost(() => 20);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(100), assetBase: '' });
    q.push({ type: 'start', gen: 1 });
    // A step done, the next under way (waited for, not slept: a machine that stalls a timer 50 ms
    // would have the pause handled before any step).
    await vi.waitFor(() => expect(f.built[0]?.step ?? 0).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 2 });
    q.push({ type: 'step', gen: 1 });
    q.push({ type: 'pause', gen: 1 });
    await q.settled();
    const run = f.built[0];
    const atPause = run.step;
    expect(atPause).toBeGreaterThanOrEqual(1);
    expect(atPause).toBeLessThan(100);
    expect(f.posts.some((p) => p.type === 'ignored' && p.command === 'step')).toBe(true);
    const last = f.posts.filter((p) => p.type === 'phase').at(-1) as { phase: string; step: number };
    expect(last).toMatchObject({ phase: 'idle', step: atPause });
    await sleep(60);
    expect(run.step).toBe(atPause);
  });

  it('each step knows its stretch of uninterrupted training (the steps/s window): one per Start, none for a step taken alone', async () => {
    const f = fakeHost(() => 10);
    const q = new CommandQueue(f.host);
    const seen: (number | undefined)[] = [];
    const step = f.host.step.bind(f.host);
    f.host.step = async (run, gen) => {
      seen.push(q.runningStretch);
      await step(run, gen);
    };
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(100), assetBase: '' });
    q.push({ type: 'step', gen: 1 });
    await q.settled();
    q.push({ type: 'start', gen: 1 });
    // Two steps of each stretch begun before its pause (waited for: a stalled timer made them fewer).
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 2 });
    q.push({ type: 'pause', gen: 1 });
    await q.settled();
    const first = seen.length;
    q.push({ type: 'start', gen: 1 });
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(first + 2), { timeout: 20_000, interval: 2 });
    q.push({ type: 'pause', gen: 1 });
    await q.settled();
    expect(seen[0]).toBeUndefined();
    const a = seen.slice(1, first);
    const b = seen.slice(first);
    expect(a.length).toBeGreaterThanOrEqual(2);
    expect(b.length).toBeGreaterThanOrEqual(2);
    expect(new Set(a).size).toBe(1);
    expect(new Set(b).size).toBe(1);
    expect(a[0]).toBeDefined();
    expect(b[0]).not.toBe(a[0]);
    expect(q.runningStretch).toBeUndefined();
  });

  it('a dense timing while training starts a new stretch: its seconds are not counted as a step\'s', async () => {
    const f = fakeHost(() => 5);
    const q = new CommandQueue(f.host);
    const seen: (number | undefined)[] = [];
    let timed = -1;
    const step = f.host.step.bind(f.host);
    f.host.step = async (run, gen) => {
      seen.push(q.runningStretch);
      await step(run, gen);
    };
    f.host.measureDense = async () => {
      timed = seen.length;
      await sleep(30);
      return { step: 0, runMs: 1, denseMs: 1, counted: 1 };
    };
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(1000), assetBase: '' });
    q.push({ type: 'start', gen: 1 });
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(2), { timeout: 20_000, interval: 2 });
    q.push({ type: 'measure-dense', gen: 1 });
    await vi.waitFor(() => expect(timed >= 0 && seen.length >= timed + 2).toBe(true), { timeout: 20_000, interval: 2 });
    q.push({ type: 'pause', gen: 1 });
    await q.settled();
    expect(timed).toBeGreaterThanOrEqual(2);
    const before = seen.slice(0, timed);
    const after = seen.slice(timed);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(new Set(before).size).toBe(1);
    expect(new Set(after).size).toBe(1);
    expect(before[0]).toBeDefined();
    expect(after[0]).not.toBe(before[0]);
  });

  it('a config that cannot build is reported; Reset builds it again and Start is answered', async () => {
    const f = fakeHost(() => 1);
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(13), assetBase: '' });
    q.push({ type: 'start', gen: 1 });
    await q.settled();
    expect(f.posts.filter((p) => p.type === 'error').map((p) => (p as { kind: string }).kind)).toEqual(['config']);
    expect(f.posts.at(-1)).toMatchObject({ type: 'phase', phase: 'idle' });
    q.push({ type: 'configure', gen: 2, config: config(2) });
    q.push({ type: 'start', gen: 2 });
    await q.settled();
    expect(f.stepsOf.get(2)).toBe(2);
  });

  it('a reset builds with the config the page sends (what it shows), else the worker’s; before any run it builds nothing', async () => {
    const f = fakeHost(() => 1);
    const builtWith: number[] = [];
    const build = f.host.build;
    f.host.build = async (c, g) => {
      builtWith.push(c.steps);
      return build(c, g);
    };
    const q = new CommandQueue(f.host);
    // One at a time: a build queued behind a later one is skipped as superseded.
    for (const m of [
      { type: 'reset', gen: 1, config: config(4) }, // no run yet: nothing to reset
      { type: 'init', gen: 2, order: ['cpu'], config: config(5), assetBase: '' },
      { type: 'continue', gen: 2, factor: 0.5 }, // the worker's config changes (scaleLearningRate)
      { type: 'reset', gen: 3, config: config(7) },
      { type: 'reset', gen: 4 },
    ] as Request[]) {
      q.push(m);
      await q.settled();
    }
    expect(builtWith).toEqual([5, 7, 7]);
  });

  it('a backend that fails to start is the worker’s failure: reported with no run number, whatever run the page asked for since', async () => {
    const f = fakeHost(() => 1);
    f.host.init = async () => {
      throw new Error('no backend started');
    };
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(5), assetBase: '' });
    q.push({ type: 'reset', gen: 2 });
    await q.settled();
    expect(f.failures.map(String)).toEqual(['Error: no backend started']);
    expect(f.failGens).toEqual([undefined]);
    // A step that fails is its run's failure, and says which run.
    const g = fakeHost(() => 1);
    g.host.step = async () => {
      throw new Error('kernel failed');
    };
    const r = new CommandQueue(g.host);
    r.push({ type: 'init', gen: 1, order: ['cpu'], config: config(5), assetBase: '' });
    r.push({ type: 'step', gen: 1 });
    await r.settled();
    expect(g.failGens).toEqual([1]);
  });

  it('a step that fails stops the run where it was; continue lowers the learning rate and trains on', async () => {
    const f = fakeHost(() => 1);
    let diverge = true;
    const step = f.host.step;
    f.host.step = async (run, gen) => {
      if (run.step === 2 && diverge) throw new Error('diverged at step 2');
      await step(run, gen);
    };
    const factors: number[] = [];
    f.host.scaleLearningRate = (_run, factor) => {
      factors.push(factor);
      diverge = false;
      return buildConfig({ overrides: { optim: { lr: 0.001 } } });
    };
    const q = new CommandQueue(f.host);
    q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(5), assetBase: '' });
    q.push({ type: 'start', gen: 1 });
    await q.settled();
    expect(f.failures.map(String)).toEqual(['Error: diverged at step 2']);
    expect(q.isRunning).toBe(false);
    expect(f.posts.at(-1)).toMatchObject({ type: 'phase', phase: 'idle', step: 2 });
    q.push({ type: 'continue', gen: 1, factor: 0.5 });
    await q.settled();
    expect(factors).toEqual([0.5]);
    expect(f.posts.find((p) => p.type === 'config')).toMatchObject({ gen: 1, config: { optim: { lr: 0.001 } } });
    expect(f.stepsOf.get(1)).toBe(5);
    expect(f.posts.at(-1)).toMatchObject({ type: 'phase', phase: 'done', step: 5 });
  });

  it('random command sequences (seeded, replayable): in order, never on a disposed run, every command answered, a final Start trains the newest run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 20, maxLength: 120 }), fc.integer({ min: 0, max: 4 }), async (actions, maxLatency) => {
        let tick = 0;
        const f = fakeHost(() => (tick++ * 7) % (maxLatency + 1));
        const q = new CommandQueue(f.host);
        const page = { gen: 1 };
        q.push({ type: 'init', gen: 1, order: ['cpu'], config: config(6), assetBase: '' });
        // Wrap the queue's handler so each post is attributed to the request being handled.
        const sent: Request[] = [];
        const inner = (q as unknown as { handle(m: Request): Promise<void> }).handle.bind(q);
        (q as unknown as { handle(m: Request): Promise<void> }).handle = async (m: Request) => {
          f.tag.current = m;
          try {
            await inner(m);
          } finally {
            f.tag.current = undefined;
          }
        };
        for (const a of actions) {
          if (a.kind === 'wait') await sleep(a.ms);
          else {
            const req = toRequest(a, page);
            q.push(req);
            sent.push(req);
          }
        }
        // The newest config may be one that cannot build: end on one that can, then Start.
        q.push({ type: 'configure', gen: ++page.gen, config: config(4) });
        q.push({ type: 'start', gen: page.gen });
        await q.settled();
        expect(f.violations).toEqual([]);
        expect(f.failures).toEqual([]);
        expect(q.generation).toBe(page.gen);
        expect(f.stepsOf.get(page.gen)).toBe(4);
        // Every run but the newest was disposed.
        expect(f.built.filter((r) => !r.disposed).map((r) => r.gen)).toEqual([page.gen]);
        // Every request got a reply of its own while it was handled: a build its ready/error/
        // ignored, a run command its phase, ignored, exported or config message.
        const ANSWERS = new Set(['phase', 'ignored', 'exported', 'config', 'ready', 'error', 'snapshot']);
        for (const req of sent) {
          const own = (f.replies.get(req) ?? []).filter((p) => ANSWERS.has(p.type));
          if (req.type === 'select-layer' && own.length === 0) continue; // the fake selects silently; a snapshot answers in the worker
          expect(own.length, `no reply to ${JSON.stringify(req).slice(0, 80)}`).toBeGreaterThan(0);
        }
        // Ready messages come in increasing generations: no stale build is announced after a newer one.
        const readyGens = f.posts.filter((p) => p.type === 'ready').map((p) => (p as { gen: number }).gen);
        expect(readyGens).toEqual([...readyGens].sort((a, b) => a - b));
      }),
      { seed: 20261125, numRuns: 60 },
    );
  });
});
