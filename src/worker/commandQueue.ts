// The worker's command queue: every request from the page is handled in arrival order,
// one at a time, against the run it names. Training steps run in the same loop, one per
// turn, after any queued command: so a pause stops after the step in progress, a start
// that arrives while a run is being built starts that run once it is built, and nothing
// ever touches a trainer that a later build disposed. No tfjs here: the worker gives it
// a RunHost, the unit tests a fake one.
import type { Config } from '../engine/config';
import type { Request, RequestType, RestoreSource, Response, RunPhase } from './protocol';

/** A dense timing's figures (the `dense-timing` message without its generation). */
export type DenseTiming = Omit<Extract<Response, { type: 'dense-timing' }>, 'type' | 'gen'>;

/** One built run, as the queue sees it. */
export interface RunHandle {
  readonly step: number;
  readonly total: number;
  dispose(): void;
}

/** What the queue needs from its environment; the worker implements it over the Trainer. */
export interface RunHost<R extends RunHandle> {
  /** Backend set-up, once, before the first build (the `init` request). */
  init(msg: Extract<Request, { type: 'init' }>): Promise<void>;
  /** Build a run at step 0 and announce it (`ready`, first snapshot); throws when the config cannot run. */
  build(config: Config, gen: number): Promise<R>;
  /** One training step of `run` and its logged row; throws on divergence or failure. */
  step(run: R, gen: number): Promise<void>;
  /** After each step while running: flush rows / snapshots when due. `force`: now. */
  report(run: R, gen: number, force: boolean): Promise<void>;
  exportRun(run: R, gen: number): Promise<void>;
  selectLayer(run: R, gen: number, layer: string): Promise<boolean>;
  /** Time the run's dense counterpart (the queue posts it as `dense-timing`); throws (answered as ignored) before any step. */
  measureDense(run: R, gen: number): Promise<DenseTiming>;
  /** Build a run from a saved one, leaving the live run alone; throws (a message saying what was expected) when it does not fit. */
  restore(source: RestoreSource): Promise<R>;
  /** A restored run the page replaced before it went live: disposed, and what its restore changed (own images) put back as it was. */
  discardRestored(run: R): void;
  /**
   * Announce `run` as live under generation `gen`, from scratch: ready, its baselines, rows,
   * timeline and a snapshot of now (a restored run; or, after a refused restore, the run
   * that stays live, whose messages the page dropped once it moved to `gen`).
   */
  announce(run: R, gen: number): Promise<void>;
  /** The run's config (a restored run brings its own). */
  configOf(run: R): Config;
  /** Read own data for later runs (data.name 'own'); answers the page itself (data-loaded or an error). */
  loadData(msg: Extract<Request, { type: 'load-data' }>): Promise<void>;
  /** Scale the run's learning rate in place; returns the run's new config. */
  scaleLearningRate(run: R, factor: number): Config;
  post(msg: Response): void;
  /** Report an error of run `gen` to the page (its kind decided by the host). */
  fail(e: unknown, gen: number | undefined, step?: number): void;
  /** Let queued messages arrive between steps (a macrotask). */
  yieldTask(): Promise<void>;
}

const BUILDS: ReadonlySet<RequestType> = new Set(['init', 'configure', 'reset']);

export class CommandQueue<R extends RunHandle> {
  private readonly pending: Request[] = [];
  private pumping = false;
  private run: R | undefined;
  /** Generation of the live run (or of the last build asked for, if it failed). */
  private gen = -1;
  private config: Config | undefined;
  private isTraining = false;
  /** Counts the stretches of uninterrupted training (Start after a pause, a step alone, a rebuild begins a new one). */
  private stretches = 0;
  private get running(): boolean {
    return this.isTraining;
  }
  private set running(on: boolean) {
    if (on && !this.isTraining) this.stretches++;
    this.isTraining = on;
  }
  /** Where the live run came from when a restore made it (said again if a later restore is refused). */
  private restoredFrom: { source: RestoreSource['kind']; name?: string } | undefined;
  private initialised = false;
  /** Why the last build made no run (its answer may have been dropped as stale: said again when a refused restore leaves no run live). */
  private buildFailure: string | undefined;
  /** The live run's last dense timing: said again when a refused restore announces that run anew (the page cleared it with the run's ready). */
  private denseTiming: DenseTiming | undefined;
  /** Resolves when the queue is empty and no step is due (tests await it). */
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly host: RunHost<R>) {}

  /** Accept a request from the page; it is handled after every request before it. */
  push(msg: Request): void {
    this.pending.push(msg);
    void this.pump();
  }

  /** Stop training (e.g. the GPU device was lost). */
  halt(): void {
    this.running = false;
  }

  get generation(): number {
    return this.gen;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** While training runs on its own: which uninterrupted stretch this is (a rate must not span a pause); undefined otherwise. */
  get runningStretch(): number | undefined {
    return this.running ? this.stretches : undefined;
  }

  /** Resolves once every queued request is handled and no training is going on. */
  settled(): Promise<void> {
    if (!this.pumping && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const msg = this.pending.shift();
        if (msg) {
          await this.handle(msg);
          continue;
        }
        if (this.running && this.run) {
          await this.trainOne(this.run);
          await this.host.yieldTask();
          continue;
        }
        break;
      }
    } finally {
      this.pumping = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private phaseOf(run: R | undefined): RunPhase {
    return run && run.step >= run.total ? 'done' : 'idle';
  }

  private postPhase(phase: RunPhase): void {
    this.host.post({ type: 'phase', gen: this.gen, phase, step: this.run?.step ?? 0 });
  }

  private ignore(command: RequestType, gen: number, reason: string): void {
    this.host.post({ type: 'ignored', gen, command, reason });
  }

  /** A build is queued behind the command in hand: the run it would act on is about to go. */
  private laterBuildWaits(): boolean {
    return this.pending.some((m) => BUILDS.has(m.type));
  }

  /** The live run for a command of generation `gen`, or undefined (and the command answered). */
  private target(command: RequestType, gen: number): R | undefined {
    if (gen !== this.gen) {
      this.ignore(command, gen, `run ${gen} was replaced by run ${this.gen}`);
      return undefined;
    }
    if (!this.run) {
      this.ignore(command, gen, 'no run is loaded (its config could not be built)');
      return undefined;
    }
    return this.run;
  }

  private async handle(msg: Request): Promise<void> {
    if (BUILDS.has(msg.type)) {
      await this.handleBuild(msg as Extract<Request, { type: 'init' | 'configure' | 'reset' }>);
      return;
    }
    if (msg.type === 'restore') {
      await this.handleRestore(msg);
      return;
    }
    if (msg.type === 'load-data') {
      // Not a run command: it only prepares data for a later build (which the page then asks for).
      await this.host.loadData(msg);
      return;
    }
    const cmd = msg as Exclude<Request, { type: 'init' | 'configure' | 'reset' | 'load-data' | 'restore' }>;
    const run = this.target(cmd.type, cmd.gen);
    if (!run) {
      // Still say where things stand, so a button waiting for an answer is released.
      if (cmd.type === 'start' || cmd.type === 'step' || cmd.type === 'continue') this.postPhase(this.running ? 'running' : this.phaseOf(this.run));
      return;
    }
    try {
      switch (cmd.type) {
        case 'start':
        case 'continue':
          if (cmd.type === 'continue') {
            const config = this.host.scaleLearningRate(run, cmd.factor);
            this.config = config;
            this.host.post({ type: 'config', gen: this.gen, config });
          }
          if (run.step >= run.total) {
            this.postPhase('done');
            return;
          }
          this.running = true;
          this.postPhase('running');
          return;
        case 'pause':
          // Steps only run between commands: the one in progress has finished by now. The phase
          // is said also when the report fails (a readback on a lost GPU): the page must not stay
          // 'running' with its settings locked.
          try {
            if (this.running) {
              this.running = false;
              await this.host.report(run, this.gen, true);
            }
          } finally {
            this.postPhase(this.phaseOf(run));
          }
          return;
        case 'step':
          // A later build already waits (a setting changed after the Step): this run is about
          // to go, and a step would only autosave it over the saved run. The page carries the
          // Step over while this run's build or baselines were under way (controller.ts apply);
          // otherwise it is only dropped.
          if (this.laterBuildWaits()) {
            this.ignore('step', cmd.gen, 'superseded by a later build before it ran');
            this.postPhase(this.phaseOf(run));
            return;
          }
          if (this.running) {
            this.ignore('step', cmd.gen, 'the run is training; pause first');
            this.postPhase('running');
            return;
          }
          if (run.step >= run.total) {
            this.postPhase('done');
            return;
          }
          this.postPhase('stepping');
          try {
            await this.host.step(run, this.gen);
          } catch (e) {
            // As trainOne: the step's own failure is the one said; a report failing after it
            // (the same lost readback) must not replace it (a recoverable one read as fatal).
            await this.host.report(run, this.gen, true).catch(() => undefined);
            this.postPhase(this.phaseOf(run));
            throw e;
          }
          try {
            await this.host.report(run, this.gen, true);
          } finally {
            this.postPhase(this.phaseOf(run));
          }
          return;
        case 'export':
          await this.host.exportRun(run, this.gen);
          return;
        case 'select-layer':
          if (!(await this.host.selectLayer(run, this.gen, cmd.layer))) this.ignore('select-layer', cmd.gen, `no prunable layer "${cmd.layer}" in this run`);
          return;
        case 'measure-dense':
          // As a Step: a later build waits, and timing a throw-away network for a run about to go
          // would only delay it (the page drops the answer). Not for a pending restore: a refused
          // one keeps this run, and says its timing again.
          if (this.laterBuildWaits()) {
            this.ignore('measure-dense', cmd.gen, 'superseded by a later build before it ran');
            return;
          }
          try {
            this.denseTiming = await this.host.measureDense(run, this.gen);
            this.host.post({ type: 'dense-timing', gen: this.gen, ...this.denseTiming });
          } catch (e) {
            this.ignore('measure-dense', cmd.gen, e instanceof Error ? e.message : String(e));
          } finally {
            // The dense timing's seconds (a throw-away network, its programs compiled) are no
            // training step's: a run that trains on starts a new steps/s window, as after a pause.
            if (this.isTraining) this.stretches++;
          }
          return;
      }
    } catch (e) {
      // A failed export leaves the run as it was: the page says why, and training can go on.
      if (cmd.type === 'export') this.ignore('export', cmd.gen, e instanceof Error ? e.message : String(e));
      else {
        this.host.fail(e, this.gen, run.step);
        this.dropRolledBackTiming(run);
      }
    }
  }

  /**
   * After a failed step: a dense timing of a state a divergence has rolled back (run.step is
   * the kept step by now) is dropped, as the page drops it; kept, a later announcement of the
   * run (a refused import) said it again, also once the run had trained past its step.
   */
  private dropRolledBackTiming(run: R): void {
    if (this.denseTiming && this.denseTiming.step > run.step) this.denseTiming = undefined;
  }

  private async handleBuild(msg: Extract<Request, { type: 'init' | 'configure' | 'reset' }>): Promise<void> {
    this.running = false;
    if (msg.type === 'init' && !this.initialised) {
      this.initialised = true;
      try {
        await this.host.init(msg);
      } catch (e) {
        this.gen = msg.gen;
        // The worker has no backend: a failure of the worker, not of run `gen`, so it carries
        // no run number (the page, moved on to a later run meanwhile, would drop it as stale
        // and wait for a backend forever).
        this.host.fail(e, undefined);
        return;
      }
    }
    // A reset before any run was built has nothing to reset (the init builds the first run).
    const config = msg.type === 'reset' ? (this.config ? (msg.config ?? this.config) : undefined) : msg.config;
    this.gen = msg.gen;
    this.config = config;
    this.run?.dispose();
    this.run = undefined;
    this.restoredFrom = undefined;
    this.buildFailure = undefined;
    this.denseTiming = undefined;
    if (!config) {
      this.ignore(msg.type, msg.gen, 'no config to build yet');
      return;
    }
    // A later build already waits: building this one would only be thrown away.
    if (this.laterBuildWaits()) {
      this.ignore(msg.type, msg.gen, 'superseded by a later build before it started');
      return;
    }
    try {
      this.run = await this.host.build(config, msg.gen);
    } catch (e) {
      this.buildFailure = `Cannot build this run: ${e instanceof Error ? e.message : String(e)}`;
      this.host.post({ type: 'error', gen: msg.gen, kind: 'config', message: this.buildFailure });
    }
    this.postPhase(this.phaseOf(this.run));
  }

  /**
   * A saved run becomes the live one as generation `gen`. It is built beside the live run
   * and swapped in only once it fits: otherwise the live run goes on as it was (training, if
   * it was) under the new generation, announced again, since the page moved to `gen` when it
   * sent the file and dropped what the live run posted since (its first `ready`, the rows
   * of the step in flight, a dense timing).
   */
  private async handleRestore(msg: Extract<Request, { type: 'restore' }>): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.gen = msg.gen;
    let run: R;
    try {
      run = await this.host.restore(msg.source);
      // The page replaced this restore while it was read (a setting changed: a build waits):
      // it is dropped, and the own images it brought with it too, or the build waiting would
      // train on them while the page holds other ones. (A later restore does not drop it: if
      // that one is refused, this one is the run that goes on.)
      if (this.laterBuildWaits()) {
        this.host.discardRestored(run);
        this.ignore('restore', msg.gen, 'superseded by a later request before it was loaded');
        return;
      }
    } catch (e) {
      // No run is live (the last build failed, and the page, which had moved on to this
      // restore, dropped that answer as stale): said under this generation, or the page
      // would keep the run before it on screen with a Start that does nothing.
      if (!this.run) this.host.post({ type: 'error', gen: msg.gen, kind: 'config', message: this.buildFailure ?? 'no run is loaded' });
      // The refusal next: the page names the file it refuses while it still knows which.
      this.host.post({ type: 'error', gen: msg.gen, kind: 'import', message: e instanceof Error ? e.message : String(e) });
      let announced = true;
      if (this.run) {
        announced = await this.host.announce(this.run, msg.gen).then(
          () => true,
          (a: unknown) => {
            this.host.fail(a, msg.gen, this.run?.step);
            return false;
          },
        );
        // A run an earlier restore made live: the page, which never heard it (another restore followed at once), takes its settings.
        if (announced && this.restoredFrom) this.host.post({ type: 'restored', gen: msg.gen, ...this.restoredFrom, config: this.host.configOf(this.run), step: this.run.step });
        if (announced && this.denseTiming) this.host.post({ type: 'dense-timing', gen: msg.gen, ...this.denseTiming });
      }
      // Refused: the live run is as it was, training included, unless announcing it failed
      // (its readback: a lost GPU), which the page was told as that run's failure.
      this.running = announced && wasRunning && this.run !== undefined && this.run.step < this.run.total;
      this.postPhase(this.running ? 'running' : this.phaseOf(this.run));
      return;
    }
    this.run?.dispose();
    this.run = run;
    this.buildFailure = undefined;
    this.denseTiming = undefined;
    this.config = this.host.configOf(run);
    try {
      await this.host.announce(run, msg.gen);
    } catch (e) {
      // Its first readback failed (a lost GPU): said as the run's failure, and the queue goes
      // on (thrown out of pump, it stalled every command queued behind it, unanswered).
      this.host.fail(e, msg.gen, run.step);
      this.postPhase(this.phaseOf(run));
      return;
    }
    const { source } = msg;
    this.restoredFrom = { source: source.kind, name: source.kind === 'import' ? source.name : undefined };
    this.host.post({ type: 'restored', gen: msg.gen, ...this.restoredFrom, config: this.config, step: run.step });
    this.postPhase(this.phaseOf(run));
  }

  private async trainOne(run: R): Promise<void> {
    try {
      await this.host.step(run, this.gen);
      const done = run.step >= run.total;
      if (done) this.running = false;
      await this.host.report(run, this.gen, done);
      if (done) this.postPhase('done');
    } catch (e) {
      this.running = false;
      await this.host.report(run, this.gen, true).catch(() => undefined);
      this.host.fail(e, this.gen, run.step);
      this.dropRolledBackTiming(run);
      this.postPhase(this.phaseOf(run));
    }
  }
}
