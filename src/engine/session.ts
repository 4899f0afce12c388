// One run as the CLI and the worker both drive it: the trainer, when the kNN monitor
// runs, which rows are logged, the baselines a kNN figure is read against, and the
// run.json it leaves. The CLI and the worker are adapters around it (their own concerns:
// flags and progress bars, messages and snapshots), so the run loop is written once.
import type { Config } from './config';
import type { Dataset } from './data/types';
import { encodeMasks, RUN_FILE_VERSION, type Baselines, type MetricsRow, type RunFile, type StepRow } from './runFile';
import { DivergenceError, Trainer, type StepResult } from './trainer';
import { NonFiniteFeaturesError } from './eval/finiteFeatures';
import type { SessionState } from './state/runState';
import { writeBundle } from './state/bundle';
import { encodeTyped } from './state/typedJson';
import { thinByAge } from './thinning';

/**
 * Logged rows a session keeps. A run goes up to 10^6 steps (2·10^5 rows at logEvery 5),
 * and the page's autosave copies the history every few seconds: older rows are thinned
 * past this, kNN rows never (the kNN chart and the results tables read each).
 */
export const MAX_HISTORY_ROWS = 20_000;

export interface SessionStep {
  result: StepResult;
  /** The step's row (always built: the worker shows every step). */
  row: StepRow;
  knn?: number;
  /** True when the row belongs in the logged history (and the CLI's --json output). */
  logged: boolean;
}

export class RunSession {
  readonly trainer: Trainer;
  /**
   * Logged rows: the step-0 baseline row, every logEvery-th step, the first, every kNN
   * step, the last; past MAX_HISTORY_ROWS the older ones without a kNN are thinned.
   */
  readonly history: MetricsRow[] = [];
  /** Wall time of each kNN pass during training, ms (the step-0 baseline pass not included). */
  readonly knnMs: number[] = [];
  private base: Baselines | undefined;

  constructor(
    public config: Config,
    dataset: Dataset,
    /** Logged rows kept before older ones are thinned (smaller only in tests). */
    private readonly maxHistory = MAX_HISTORY_ROWS,
  ) {
    this.trainer = new Trainer(config, dataset);
  }

  get step(): number {
    return this.trainer.step;
  }

  get total(): number {
    return this.config.steps;
  }

  get done(): boolean {
    return this.trainer.step >= this.config.steps;
  }

  get baselines(): Baselines | undefined {
    return this.base;
  }

  /**
   * kNN of the untrained network (logged as the step-0 row) and on raw pixels; call before
   * the first step. `rawPixels` may come from a cache: it depends on the data only.
   */
  async measureBaselines(rawPixels?: number): Promise<Baselines> {
    if (this.trainer.step !== 0) throw new Error('RunSession: baselines are measured before the first step');
    const untrained = await this.trainer.knn();
    const raw = rawPixels ?? (await this.trainer.rawPixelKnn());
    this.base = { untrained, rawPixels: raw };
    this.history.unshift({ step: 0, knn: untrained });
    return this.base;
  }

  /** One training step, its kNN when due, its row; logged rows go to the history. */
  async trainStep(): Promise<SessionStep> {
    const t = this.trainer;
    let result: StepResult;
    try {
      result = await t.trainStep();
    } catch (e) {
      // Rolled back past logged steps: their rows describe a state the run no longer has.
      if (e instanceof DivergenceError) this.dropRowsAfter(e.kept);
      throw e;
    }
    const every = this.config.eval.knnEvery;
    const last = result.step === this.config.steps;
    const knnDue = (every > 0 && result.step % every === 0) || last;
    // The row first: it folds this step's read-back into the plugins (CDG's evaluation Δ),
    // so the kNN of step s evaluates the network as it is after step s, not one step behind.
    let row: StepRow;
    try {
      row = t.row(result);
    } catch (e) {
      // The step is applied but has no row: undone where the state before it is held, as a failed kNN pass is.
      await this.undoLastStep();
      throw e;
    }
    if (knnDue) {
      const k0 = performance.now();
      let knn: number;
      try {
        knn = await t.knn();
      } catch (e) {
        if (!(e instanceof NonFiniteFeaturesError)) {
          // Any other failure (out of memory, a lost readback): the step is undone where the
          // state before it is held, so the step and its kNN run again; on the last step the
          // final kNN would otherwise be lost with a run that reads as done. Nothing held: the
          // applied step keeps its row, without a kNN.
          if (!(await this.undoLastStep())) this.log(row);
          throw e;
        }
        // The step's loss was finite, what it left is not: a divergence of this step, rolled back where the state before it is held.
        const back = await t.rollBackLastStep();
        const kept = back ?? result.step;
        this.dropRowsAfter(kept);
        throw new DivergenceError(result.step, NaN, kept, 'its loss was finite, but the network it left gives non-finite features (kNN)', back !== undefined);
      }
      this.knnMs.push(performance.now() - k0);
      row = t.withKnn(row, knn);
    }
    const logged = result.step % this.config.eval.logEvery === 0 || knnDue || result.step === 1;
    if (logged) this.log(row);
    return { result, row, knn: row.knn, logged };
  }

  /** Undo the step just applied where the state before it is held, with the rows after it; false when nothing is held. */
  private async undoLastStep(): Promise<boolean> {
    const back = await this.trainer.rollBackLastStep();
    if (back !== undefined) this.dropRowsAfter(back);
    return back !== undefined;
  }

  /** The run is back at step `kept`: rows of later steps describe a state it no longer has. */
  private dropRowsAfter(kept: number): void {
    this.history.splice(0, this.history.length, ...this.history.filter((r) => r.step <= kept));
  }

  private log(row: StepRow): void {
    this.history.push(row);
    if (this.history.length > this.maxHistory) {
      const kept = thinByAge(this.history, this.maxHistory, (r) => r.step, (r) => r.knn !== undefined);
      this.history.splice(0, this.history.length, ...kept);
    }
  }

  /** Go on with another peak learning rate (after a divergence); the config records it. */
  scaleLearningRate(factor: number): Config {
    this.trainer.setPeakLearningRate(this.trainer.peakLearningRate * factor);
    this.config = { ...this.config, optim: { ...this.config.optim, lr: this.trainer.peakLearningRate } };
    return this.config;
  }

  /** run.json of the run as it stands. */
  async runFile(backend?: { backend: string; adapter: string }): Promise<RunFile> {
    const plugins = this.trainer.plugins;
    const masks = (await Promise.all(plugins.map((p) => p.exportMasks?.() ?? Promise.resolve([])))).flat();
    const gates = Object.assign({}, ...(await Promise.all(plugins.map((p) => p.exportState?.() ?? Promise.resolve({})))));
    return {
      version: RUN_FILE_VERSION,
      createdAt: new Date().toISOString(),
      backend,
      config: this.config,
      baselines: this.base,
      history: this.history,
      masks: encodeMasks(masks),
      gates,
    };
  }

  /**
   * run.zip: run.json with the trainer state (v2) and the tensors as a tf.io model.json +
   * weights.bin, so an import can continue the run. `replay`: what the panels drew
   * (structured data; typed arrays are kept). A run on own images carries them as it
   * trains on them (state/bundleData.ts): an import needs no files.
   */
  async bundle(backend?: { backend: string; adapter: string }, replay?: unknown): Promise<Uint8Array> {
    const [run, state] = await Promise.all([this.runFile(backend), this.trainer.saveState()]);
    const { arrays, version, step, peakLr, optimizerSteps, plugins } = state;
    run.state = { version, step, peakLr, optimizerSteps, plugins, weights: 'model.json' };
    if (replay !== undefined) run.replay = encodeTyped(replay);
    const own = this.config.data.name === 'own' ? this.trainer.dataset : undefined;
    return writeBundle(run, arrays, own);
  }

  /** The whole run as host data: trainer state, logged rows, baselines (see state/runState.ts). */
  async saveState(): Promise<SessionState> {
    // The session's config: a learning rate lowered after a divergence is in it, not in the trainer's.
    return { trainer: { ...(await this.trainer.saveState()), config: this.config }, history: this.history.map((r) => ({ ...r })), baselines: this.base && { ...this.base } };
  }

  /**
   * A session built from a saved state's config on `dataset`, with that state loaded: its
   * next steps are the ones the saved run would have taken. Throws (and leaves nothing
   * allocated) when the state does not fit.
   */
  static restore(state: SessionState, dataset: Dataset): RunSession {
    const s = new RunSession(state.trainer.config, dataset);
    try {
      s.trainer.loadState(state.trainer);
      // A loop, not push(...): a long run's history is more arguments than a call takes.
      for (const r of state.history) s.history.push(r);
    } catch (e) {
      s.dispose();
      throw e;
    }
    s.base = state.baselines;
    return s;
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
