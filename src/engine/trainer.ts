// One contrastive training run: state (networks, optimizer, step), one training step,
// evaluation, and the numbers the panels read. The same class runs in the Worker, in
// the CLI and in tests.
//
// A step: sample a batch (seeded) → two augmented views on the backend → plugins'
// beforeStep (masks) → loss and gradients of the online variables in one tape → AdamW
// with per-variable update masks → BN running stats → BYOL EMA target → plugins'
// afterStep → one packed readback of the loss and every plugin metric.
import * as tf from '@tensorflow/tfjs';
import { augmentPair, type AugmentConfig } from './augment';
import type { Config } from './config';
import { shrinkDataset } from './data/areaResize';
import { batchTensor } from './data/batchTensor';
import type { Dataset, ImageSplit } from './data/types';
import { knnAccuracy } from './eval/knn';
import { linearProbe, type ProbeResult } from './eval/linearProbe';
import { isNoDecay } from './nn/heads';
import { cloneAsTarget, createNetwork, disposeNetwork, encode, networkSpec, predict, project, type Network, type NetworkSpec } from './nn/network';
import type { BatchMoments } from './nn/batchnorm';
import { BN_MOMENTUM } from './nn/batchnorm';
import type { ParamMap } from './nn/params';
import type { Branch, ConvHook } from './nn/resnet';
import { emaMomentum, emaUpdate } from './ssl/byol';
import { batchCorrelation, DirectPredictor } from './ssl/directPredictor';
import type { BranchLayout, SslMethod } from './ssl/method';
import { sslMethod } from './ssl/registry';
import { AdamW, learningRate, predictorLearningRate } from './optim';
import { maskSlot, type BranchInfo, type StepCheckpoint, type StepHelpers, type StepPlugin } from './plugin';
import { createPlugins, OwnedMerge } from './plugins';
import type { PluginRowFields, StepRow } from './runFile';
import { Rng } from './random';
import type { FlopsSummary } from './sparsity/flops';
import { stepFlops, type LayerDensities } from './stepFlops';
import { TRAINER_STATE_VERSION, type TrainerState } from './state/runState';
import { expectArray, type StateArray } from './state/stateArray';
import { readArrays, toTensor } from './state/stateTensors';
import { freeingTapeOnError } from './nn/gradientTape';

/** The config's few augmentation knobs → the full recipe; strength s scales jitter as SimCLR does (0.8s, 0.8s, 0.8s, 0.2s). */
export function augmentFromConfig(a: Config['augment']): AugmentConfig {
  const s = a.jitterStrength;
  return {
    cropScale: [a.cropScaleMin, 1],
    cropRatio: [3 / 4, 4 / 3],
    flipProb: a.flip,
    jitterProb: a.jitter,
    brightness: 0.8 * s,
    contrast: 0.8 * s,
    saturation: 0.8 * s,
    hue: Math.min(0.5, 0.2 * s),
    grayscaleProb: a.grayscale,
    solarizeProb: 0,
  };
}

export class DivergenceError extends Error {
  /**
   * `step` is the step that diverged, numbered as rows are (a run's first step is step 1):
   * it was not applied. `kept`: the step the run is as it was after — step − 1, or step − 2
   * when the trainer rolled back the update that made this step's loss non-finite
   * (Trainer.keepLastGoodState): the loss of a step does not depend on its learning rate, so
   * only going back before that update lets a lower rate change anything.
   */
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly kept = step - 1,
    /** What was not finite, when not the loss (the kNN features of a step whose loss was). */
    readonly what?: string,
    /** The run went back past an applied update (keepLastGoodState): a lower rate can then get past it. */
    readonly rolledBack = kept < step - 1,
  ) {
    super(`training diverged at step ${step}: ${what ?? `loss is ${loss}`}; the run is kept as it was after step ${kept} — lower the learning rate or reset`);
    this.name = 'DivergenceError';
  }
}

/** The trainer's state before its last applied step, held as extra references (no copy): what a divergence rolls back to. */
interface HeldState {
  step: number;
  optimizerSteps: number;
  tensors: Record<string, tf.Tensor>;
  plugins: Record<string, unknown>;
}

export interface StepResult {
  step: number;
  loss: number;
  lr: number;
  /** Wall time of the step including its readback, ms. */
  ms: number;
  /** Plugin metrics read back with the loss, by name. */
  metrics: Record<string, Float32Array>;
  /** Extra passes the step ran for effective-weight gradients (SyncCP regrowth), by the convs each took; counted in its FLOPs. */
  gradientPasses?: string[][];
}

/**
 * Largest memory bank / query set of the kNN monitor; a strided, class-balanced-enough
 * subset. Queries: every held-out image up to 2000 (Fashion-MNIST's whole test subset),
 * so the split size sets the standard error (eval/knn.ts).
 */
export const KNN_MEMORY = 2000;
export const KNN_QUERIES = 2000;
/** Evaluation forwards in large batches: per-op overhead, not arithmetic, dominated at 128. */
const EVAL_BATCH = 512;

/** Row fields the trainer writes itself; a plugin reporting one of them is an error. */
const TRAINER_ROW_FIELDS = Object.fromEntries(['step', 'loss', 'lr', 'ms', 'knn', 'flops'].map((k) => [k, 'the trainer'])) as Record<string, string>;

export class Trainer {
  readonly spec: NetworkSpec;
  /** The SSL method: branches, loss, EMA target or not (ssl/registry.ts). */
  readonly method: SslMethod;
  readonly online: Network;
  readonly target?: Network;
  readonly plugins: StepPlugin[];
  /** Who gives each read-back metric: checked when a name first appears, looked up after. */
  private readonly metricOwners = new OwnedMerge('metric');
  /** The logged rows' plugin fields: owners fixed on first sight, as the metrics' (and the trainer's own fields never a plugin's). */
  private readonly rowOwners = new OwnedMerge('row field', TRAINER_ROW_FIELDS);
  readonly imageSize: number;
  readonly augment: AugmentConfig;
  private readonly optimizer: AdamW;
  /** `ssl.predictor` directcopy / directpred: the set predictor's state (F) in place of a trained one. */
  readonly directPredictor?: DirectPredictor;
  /** The set predictor's weight during a step (trainStep sets and disposes it). */
  private stepPredictor?: tf.Tensor2D;
  private stepCount = 0;
  private disposed = false;
  /** Peak learning rate: config.optim.lr until a diverged run is continued with a lower one. */
  private peakLr: number;

  /** The images trained and evaluated on: the dataset's, shrunk to the run's image size once (area-averaged) when smaller. */
  readonly dataset: Dataset;

  constructor(
    readonly config: Config,
    dataset: Dataset,
  ) {
    this.imageSize = config.data.imageSize > 0 ? config.data.imageSize : dataset.height;
    // By area averaging, once, as CIFAR-10 and own images are: bilinear sampling of each batch
    // aliased any shrink but 2× (Fashion-MNIST's 28 px to the default 16 kept 25–88 % of a
    // 1-px line's ink depending on its column, and none of it at 8 px). Exactly 2× (shapes'
    // 32 px to the default 16) stays with the batch's resize, whose half-pixel centres average
    // each 2×2 block in float: the same pixels without a byte's rounding. Enlarging stays bilinear.
    const shrink = this.imageSize < dataset.height && dataset.height === dataset.width && dataset.height !== 2 * this.imageSize;
    this.dataset = shrink ? shrinkDataset(dataset, this.imageSize) : dataset;
    this.augment = augmentFromConfig(config.augment);
    this.spec = networkSpec(config, this.imageSize, this.imageSize, dataset.channels);
    this.online = createNetwork(this.spec, config.seed, true);
    this.method = sslMethod(config.ssl.method);
    this.target = this.method.emaTarget ? cloneAsTarget(this.online) : undefined;
    const d = this.spec.directPredictor;
    if (d) this.directPredictor = new DirectPredictor(config.ssl.predictor as 'directcopy' | 'directpred', d.dim, config.ssl.predictorEps, config.ssl.corrEma);
    this.optimizer = new AdamW({ weightDecay: config.optim.weightDecay });
    this.peakLr = config.optim.lr;
    this.plugins = createPlugins({ config, spec: this.spec, online: this.online, target: this.target, totalSteps: config.steps, stepBatch: this.stepBatch, probe: () => this.views(0, [0]), probeMasks: () => ({ masks: this.branchInfos().filter((b) => b.network === 'online').slice(0, 2).map((b) => this.masksFor(b.role)), prunedChannels: this.prunedChannels() }), weightDensities: () => this.weightDensities() });
  }

  get step(): number {
    return this.stepCount;
  }

  /**
   * Before the first step only: run the next step as step `step`, as if the steps before it
   * had happened — their place in every schedule (learning rate, EMA, densities), not their
   * work. `npm run bench` uses it to time steps in the middle or at the end of a schedule
   * without running the steps before them. Weights, optimizer state and masks stay as
   * they are; a mask update due at `step` happens in that step.
   */
  startAt(step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`startAt: step must be a non-negative integer (got ${step})`);
    if (this.stepCount !== 0) throw new Error(`startAt: only before the first step (this run is at step ${this.stepCount})`);
    this.stepCount = step;
  }

  get peakLearningRate(): number {
    return this.peakLr;
  }

  /** Go on with another peak learning rate (same schedule shape), e.g. after a divergence. */
  setPeakLearningRate(lr: number): void {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`learning rate must be a positive number (got ${lr})`);
    this.peakLr = lr;
  }

  /** Branch layout of a step, as the method defines it (e.g. SimCLR: two views of one network; BYOL: online ×2, target ×2). */
  branchInfos(): BranchLayout[] {
    return this.method.branches();
  }

  /** The union of the plugins' masks for a role: checkComposable refused overlapping layers when the run was built. */
  private masksFor(role: BranchInfo['role']): Record<string, tf.Tensor> | undefined {
    const parts = this.plugins.map((p) => p.masks?.(role)).filter((m) => m !== undefined);
    return parts.length ? Object.assign({}, ...parts) : undefined;
  }

  private convHook(infos: BranchInfo[], training: boolean): ConvHook | undefined {
    for (const p of this.plugins) {
      const h = p.convHook?.(infos, training, this.stepCount);
      if (h) return h;
    }
    return undefined;
  }

  /** Images a step trains on (per view): the batch size, or the whole train split when it is smaller (a few own images). */
  get stepBatch(): number {
    return Math.min(this.config.batchSize, this.dataset.train.count);
  }

  /** The seeded batch of step `step`: indices drawn without replacement from the train split. */
  batchIndices(step: number): number[] {
    const rng = new Rng(this.config.seed * 1_000_003 + step);
    const n = this.dataset.train.count;
    const b = this.stepBatch;
    const chosen = new Set<number>();
    while (chosen.size < b) chosen.add(rng.int(n));
    return [...chosen];
  }

  /**
   * The two augmented views of step `step` (caller disposes). Crops are cut from the copy
   * already at the network's size, so a small crop is enlarged, and softer than the whole
   * images evaluation sees. Cropping the stored image instead (torchvision's
   * RandomResizedCrop), measured at --tiny on shapes, seeds 1–3: SimCLR gained +25.3 / +19.4
   * / +10.7 against +19.8 / +14.7 / +11.1, BYOL +5.4 / +5.1 / +5.5 against +12.3 / +7.7 /
   * +12.0 — the enlargement's blur stands in for the Gaussian blur of BYOL's recipe, which
   * this pipeline lacks. Changing it needs a blur augmentation and the presets re-tuned.
   */
  views(step: number, indices = this.batchIndices(step)): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      const x = batchTensor(this.dataset.train, indices, this.dataset, { size: this.imageSize });
      return augmentPair(x, new Rng(this.config.seed).fork(step).seed, this.augment, this.imageSize);
    });
  }

  /**
   * The contrastive loss of views (v1, v2) for all branches in lockstep.
   * `effective` substitutes, per branch role, the online network's parameters with
   * effective weights that already carry that role's masks (for effective-weight gradients).
   */
  private loss(v1: tf.Tensor4D, v2: tf.Tensor4D, training: boolean, moments?: BatchMoments[], effective?: Map<BranchInfo['role'], ParamMap>, collect?: { corr?: tf.Tensor2D }): tf.Scalar {
    const infos = this.branchInfos();
    const views = [v1, v2];
    // Running stats describe the network that is evaluated (features(): the first branch's
    // masks). Under SimCLR with SyncCP the second branch runs the denser mask, whose batch
    // statistics differ, so only branches with the first one's masks feed them.
    const evaluatedSlot = maskSlot(infos[0].role);
    const branches: Branch[] = infos.map((info) => {
      const net = info.network === 'target' && this.target ? this.target : this.online;
      const isOnlineNet = net === this.online;
      const eff = isOnlineNet ? effective?.get(info.role) : undefined;
      const roleMasks = this.masksFor(info.role);
      const likeEvaluated = maskSlot(info.role) === evaluatedSlot || !roleMasks;
      return {
        params: eff ?? net.vars,
        stats: net.stats,
        masks: eff ? undefined : roleMasks,
        // Only the online network's batch moments feed running stats; the target's are EMA'd.
        moments: isOnlineNet && likeEvaluated && moments ? moments : undefined,
      } satisfies Branch;
    });
    const xs = infos.map((info) => views[info.view]);
    const feats = encode(this.spec, branches, xs, { training, convHook: this.convHook(infos, training), sparseKernels: this.config.kernels.sparse, prunedChannels: this.prunedChannels() });
    const z = project(this.spec, branches, feats, training);
    const p = infos.map((info, i) => (info.predicts ? this.predictOf(branches[i], z[i], training) : undefined));
    // The set predictor's F follows the online projections of the branches it predicts from.
    if (collect && this.directPredictor) collect.corr = tf.keep(batchCorrelation(z.filter((_, i) => infos[i].predicts)));
    let loss = this.method.loss({ z, p }, this.config);
    for (const p of this.plugins) {
      const extra = p.extraLoss?.();
      if (extra) loss = tf.add(loss, extra) as tf.Scalar;
    }
    return loss;
  }

  /** The prediction of projection z: the trained MLP, or z·W with this step's set W (symmetric). */
  private predictOf(branch: Branch, z: tf.Tensor2D, training: boolean): tf.Tensor2D {
    if (!this.directPredictor) return predict(this.spec, branch, z, training);
    if (!this.stepPredictor) throw new Error('the set predictor is only defined during a step');
    return tf.matMul(z, this.stepPredictor);
  }

  private trainableVars(): Record<string, tf.Variable> {
    const vars: Record<string, tf.Variable> = { ...this.online.vars };
    for (const p of this.plugins) Object.assign(vars, p.variables?.() ?? {});
    return vars;
  }

  /**
   * One training step. The loss and every plugin metric come back in one packed readback,
   * taken before the update is applied: a non-finite loss throws DivergenceError and
   * leaves weights, optimizer and step count as they were.
   */
  async trainStep(): Promise<StepResult> {
    if (this.disposed) throw new Error('trainer is disposed');
    if (this.halfApplied) throw new Error(this.halfApplied);
    const held = this.holdLastGood ? this.holdState() : undefined;
    let result: StepResult;
    this.updateApplied = false;
    try {
      result = await this.trainStepOnce();
    } catch (e) {
      if (this.updateApplied) {
        // Failed after its update was applied (a regrowth pass out of memory, say): the
        // optimizer, statistics, target and masks are past a step the count never reached.
        // Saved so, a resumed run would apply the step again on top of itself.
        await this.undoHalfAppliedStep(held, e);
        throw e;
      }
      if (held) tf.dispose(Object.values(held.tensors));
      if (!(e instanceof DivergenceError)) throw e;
      // This step's loss came from the state the last applied step left: back to before it.
      const kept = await this.rollBackLastStep();
      throw kept === undefined ? e : new DivergenceError(e.step, e.loss, kept);
    }
    if (this.previous) tf.dispose(Object.values(this.previous.tensors));
    this.previous = held;
    return result;
  }

  /** Back to the state held before a step that failed after its update; without one, no more steps or saves. */
  private async undoHalfAppliedStep(held: HeldState | undefined, e: unknown): Promise<void> {
    const why = e instanceof Error ? e.message : String(e);
    const refuse = () => {
      this.halfApplied = `step ${this.stepCount + 1} failed after its update was applied (${why}): this run's state is no longer consistent; start it again or resume its last save`;
    };
    if (!held) return refuse();
    try {
      await this.rollBack(held);
    } catch {
      tf.dispose(Object.values(held.tensors));
      refuse();
    }
  }

  /**
   * Undo the last applied step, when keepLastGoodState holds the state before it: a check
   * after the step found it unusable (the kNN's features are not finite though its loss was,
   * or the kNN pass itself failed: the step then runs again with its kNN). Returns the step
   * the run is back at, or undefined when nothing is held.
   */
  async rollBackLastStep(): Promise<number | undefined> {
    if (!this.previous) return undefined;
    const held = this.previous;
    this.previous = undefined;
    try {
      return await this.rollBack(held);
    } catch (e) {
      // Not undone, and maybe half loaded (plugins before weights): the state is no longer
      // known to be a whole step's, so steps and saves are refused, as after a half-applied step.
      tf.dispose(Object.values(held.tensors));
      this.halfApplied = `step ${this.stepCount} could not be undone (${e instanceof Error ? e.message : String(e)}): this run's state is no longer known to be whole; start it again or resume its last save`;
      // Said with why it matters (the page shows it as the reason the worker stopped), not as the bare error.
      throw new Error(this.halfApplied);
    }
  }

  /**
   * Keep the state before each applied step (extra references to its tensors, no copy), so a
   * divergence rolls back the update that caused it (DivergenceError.kept), and a step that
   * fails after its update is put back to before it; the app's "Continue with a lower rate"
   * needs it. Off: a divergence leaves the last applied step, and a step that fails half
   * applied refuses further steps and saves until loadState.
   */
  keepLastGoodState(on: boolean): void {
    this.holdLastGood = on;
    if (!on && this.previous) {
      tf.dispose(Object.values(this.previous.tensors));
      this.previous = undefined;
    }
  }

  private holdLastGood = false;
  private previous: HeldState | undefined;
  /** Whether this step's update was applied (set after its finite loss; reset as each step begins): what trainStep undoes on a failure after it, what the step's checkpoints release rather than restore. */
  private updateApplied = false;
  /** Why steps and saves are refused: a step failed half applied and nothing held could undo it. */
  private halfApplied: string | undefined;

  /** Whether the state is a whole step's (false after a step that failed half-applied with nothing held to undo it: then it refuses steps and saves). */
  get consistent(): boolean {
    return this.halfApplied === undefined;
  }

  /** Every tensor saveState reads, held by a clone (a reference: an assign replaces the variable's data, not this). */
  private holdState(): HeldState {
    const tensors: Record<string, tf.Tensor> = {};
    const plugins: Record<string, unknown> = {};
    try {
      for (const [k, t] of Object.entries({ ...this.namedVariables(), ...this.momentTensors() })) tensors[k] = tf.clone(t);
      for (const p of this.plugins) {
        const st = p.saveState?.();
        if (!st) continue;
        plugins[p.name] = structuredClone(st.meta);
        for (const [k, t] of Object.entries(st.tensors)) tensors[`${p.name}.state.${k}`] = tf.clone(t);
      }
    } catch (e) {
      // A plugin's saveState that throws: the clones made so far go with the failure.
      tf.dispose(Object.values(tensors));
      throw e;
    }
    return { step: this.stepCount, optimizerSteps: this.optimizer.state().t, tensors, plugins };
  }

  /** Put a held state back (read once to the host and loaded as a saved state is); returns its step. */
  private async rollBack(h: HeldState): Promise<number> {
    const arrays = await readArrays(h.tensors);
    tf.dispose(Object.values(h.tensors));
    // The current peak rate stays: it may have been lowered since (Continue).
    this.loadState({ version: TRAINER_STATE_VERSION, config: this.config, step: h.step, peakLr: this.peakLr, optimizerSteps: h.optimizerSteps, arrays, plugins: h.plugins });
    return h.step;
  }

  private async trainStepOnce(): Promise<StepResult> {
    const t0 = performance.now();
    const step = this.stepCount;
    const total = this.config.steps;
    const lr = learningRate(step, total, this.peakLr, this.config.optim.warmup);
    const [v1, v2] = this.views(step);
    const moments: BatchMoments[] = [];
    let grads: Record<string, tf.Tensor> = {};
    const collect: { corr?: tf.Tensor2D } = {};
    const checkpoints: StepCheckpoint[] = [];
    try {
      // Nothing may change before the loss is known to be finite: plugins that update
      // state ahead of the forward pass (mask updates, regrowth) can be undone. Inside the
      // try: one that throws must not leak the views or the checkpoints taken before it.
      for (const p of this.plugins) {
        const c = p.checkpoint?.(step);
        if (c) checkpoints.push(c);
      }
      if (this.directPredictor) this.stepPredictor = await this.directPredictor.weight();
      for (const p of this.plugins) await p.prepareStep?.(step);
      for (const p of this.plugins) p.beforeStep?.(step);
      const vars = this.trainableVars();
      const nameById = new Map(Object.entries(vars).map(([k, v]) => [v.name, k]));
      const { value, grads: gradsById } = freeingTapeOnError(() => tf.variableGrads(() => this.loss(v1, v2, true, moments, undefined, collect), Object.values(vars)));
      for (const [id, g] of Object.entries(gradsById)) grads[nameById.get(id) ?? id] = g;

      const { loss, metrics } = await this.readback(value);
      if (!Number.isFinite(loss)) throw new DivergenceError(step + 1, loss);

      this.updateApplied = true;
      for (const p of this.plugins) for (const [name, where] of Object.entries(p.momentResets?.() ?? {})) this.optimizer.resetMoments(name, where);
      const { predictorLrScale, predictorLrSchedule } = this.config.ssl;
      const predLr = predictorLearningRate(step, total, this.peakLr, this.config.optim.warmup, predictorLrScale, predictorLrSchedule);
      this.optimizer.apply(vars, grads, lr, (name) => this.updateMask(name), isNoDecay, (name) => (name.startsWith('pred.') ? predLr : lr));
      this.updateRunningStats(moments);
      this.updateTarget(step);
      if (collect.corr) this.directPredictor?.update(collect.corr);
      const gradientPasses: string[][] = [];
      const helpers: StepHelpers = {
        effectiveGradients: (names) => {
          gradientPasses.push([...names]);
          return this.effectiveGradients(v1, v2, names);
        },
      };
      for (const p of this.plugins) p.afterStep?.(step, grads, helpers);
      this.stepCount += 1;
      return { step: this.stepCount, loss, lr, ms: performance.now() - t0, metrics, ...(gradientPasses.length ? { gradientPasses } : {}) };
    } finally {
      for (const c of checkpoints) {
        if (this.updateApplied) c.release();
        else c.restore();
      }
      tf.dispose(grads);
      collect.corr?.dispose();
      this.stepPredictor?.dispose();
      this.stepPredictor = undefined;
      for (const m of moments) { m.mean.dispose(); m.variance.dispose(); }
      v1.dispose();
      v2.dispose();
    }
  }

  /** A logged row as the CLI contract has it: step, loss, and what the plugins report (a field reported twice is an error). */
  row(r: StepResult, knn?: number): StepRow {
    const reported = this.rowOwners.merge(this.plugins.map((p) => [p.name, p.report?.(r.metrics)] as const)) as PluginRowFields;
    const f = this.flops(r.metrics, r.gradientPasses);
    // The extra passes apart: a row standing for several steps (logged every few) counts them once.
    const pass = r.gradientPasses?.length ? f.effective - this.flops(r.metrics).effective : 0;
    return { step: r.step, loss: r.loss, lr: r.lr, ms: Math.round(r.ms), ...(knn !== undefined ? { knn } : {}), ...reported, flops: { dense: f.dense, effective: f.effective, ...(pass > 0 ? { pass } : {}) } };
  }

  /** `row` with its kNN, in the place row() puts it (measured after the row was made). */
  withKnn(row: StepRow, knn: number): StepRow {
    const { step, loss, lr, ms, ...rest } = row;
    return { step, loss, lr, ms, knn, ...rest };
  }

  /** Whether the masks prune whole output channels (resnet.ts ForwardOptions.prunedChannels). */
  private prunedChannels(): boolean {
    return this.config.syncp?.granularity === 'channel';
  }

  /** Training FLOPs of one step (all branches), dense and effective, per layer and total; `gradientPasses` as StepResult's. */
  flops(metrics: Record<string, Float32Array> = {}, gradientPasses: string[][] = []): FlopsSummary {
    const d: LayerDensities = this.weightDensities(metrics);
    for (const p of this.plugins) {
      const g = p.gateDensity?.(metrics);
      if (g) d.gate = { ...(d.gate ?? {}), ...g };
    }
    return stepFlops(this.spec, this.branchInfos(), this.config.ssl.method, this.stepBatch, d, gradientPasses);
  }

  /** The plugins' weight and kept-channel densities (from a step's read-back metrics, else counted on the masks). */
  private weightDensities(metrics: Record<string, Float32Array> = {}): Pick<LayerDensities, 'weight' | 'outputChannels'> {
    const d: Pick<LayerDensities, 'weight' | 'outputChannels'> = {};
    // plugins is assigned after createPlugins returns: a plugin asking while it is built gets none.
    for (const p of this.plugins ?? []) {
      const w = p.weightDensity?.(metrics);
      if (w) d.weight = { ...(d.weight ?? {}), ...w };
      const oc = p.outputChannelDensity?.(metrics);
      if (oc) d.outputChannels = { ...(d.outputChannels ?? {}), ...oc };
    }
    return d;
  }

  /** One `await data()` for the loss and all plugin metrics; disposes what it reads. */
  private async readback(loss: tf.Scalar): Promise<{ loss: number; metrics: Record<string, Float32Array> }> {
    let byName: Record<string, tf.Tensor>;
    const given = this.plugins.map((p) => [p.name, p.metrics?.()] as const);
    try {
      byName = this.metricOwners.merge(given);
    } catch (e) {
      tf.dispose([loss, ...given.flatMap(([, m]) => Object.values(m ?? {}))]);
      throw e;
    }
    const names = Object.keys(byName);
    const originals: tf.Tensor[] = [loss, ...Object.values(byName)];
    const packed = tf.tidy(() => tf.concat(originals.map((t) => t.reshape([-1]).cast('float32'))));
    const sizes = originals.map((t) => t.size);
    tf.dispose(originals);
    let data: Float32Array;
    try {
      data = (await packed.data()) as Float32Array;
    } finally {
      packed.dispose(); // also when the readback fails (a lost GPU)
    }
    const metrics: Record<string, Float32Array> = {};
    let off = 1;
    names.forEach((name, i) => {
      metrics[name] = data.slice(off, off + sizes[i + 1]);
      off += sizes[i + 1];
    });
    return { loss: data[0], metrics };
  }

  private updateMask(name: string): tf.Tensor | undefined {
    for (const p of this.plugins) {
      const m = p.updateMask?.(name);
      if (m) return m;
    }
    return undefined;
  }

  /** BYOL: θ_t ← m·θ_t + (1−m)·θ_o for weights and BN running stats. */
  private updateTarget(step: number): void {
    if (!this.target) return;
    const m = emaMomentum(step, this.config.steps, this.config.ssl.emaStart);
    emaUpdate(this.target.vars, this.online.vars, m);
    tf.tidy(() => {
      for (const [k, s] of Object.entries(this.target!.stats)) {
        const o = this.online.stats[k];
        if (!o) continue;
        s.mean.assign(tf.add(tf.mul(s.mean, m), tf.mul(o.mean, 1 - m)));
        s.variance.assign(tf.add(tf.mul(s.variance, m), tf.mul(o.variance, 1 - m)));
      }
    });
  }

  private updateRunningStats(moments: BatchMoments[]): void {
    tf.tidy(() => {
      const byName = new Map<string, BatchMoments[]>();
      for (const m of moments) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
      for (const [name, list] of byName) {
        const s = this.online.stats[name];
        if (!s) continue;
        const mean = tf.div(tf.addN(list.map((m) => m.mean)), list.length);
        const variance = tf.div(tf.addN(list.map((m) => m.variance)), list.length);
        s.mean.assign(tf.add(tf.mul(s.mean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
        s.variance.assign(tf.add(tf.mul(s.variance, BN_MOMENTUM), tf.mul(variance, 1 - BN_MOMENTUM)));
      }
    });
  }

  /** ∂loss/∂(W ⊙ M_role) of the online convs named, summed over the roles of the online network's branches (see StepHelpers). */
  private effectiveGradients(v1: tf.Tensor4D, v2: tf.Tensor4D, names: string[]): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      // Each branch keeps its own mask (SimCLR's second branch the denser one), so the
      // gradient is taken where each branch really computes.
      const roles = [...new Set(this.branchInfos().filter((b) => b.network === 'online').map((b) => b.role))];
      const effTensors = roles.flatMap((role) => {
        const masks = this.masksFor(role) ?? {};
        return names.map((n) => (masks[n] ? tf.mul(this.online.vars[n], masks[n]) : this.online.vars[n].clone()));
      });
      const g = freeingTapeOnError(() => tf.grads((...ts: tf.Tensor[]) => {
        const effective = new Map(roles.map((role, r) => {
          const p: ParamMap = { ...this.online.vars };
          // The branch runs without its masks here (loss(): params replace them), so the convs
          // not asked for take W ⊙ M too: else a subset of names got the gradient of a network
          // whose other convs were dense.
          for (const [n, m] of Object.entries(this.masksFor(role) ?? {})) if (!names.includes(n)) p[n] = tf.mul(this.online.vars[n], m);
          names.forEach((n, i) => (p[n] = ts[r * names.length + i]));
          return [role, p] as const;
        }));
        return this.loss(v1, v2, true, undefined, effective);
      })(effTensors));
      const out: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (out[n] = tf.addN(roles.map((_, r) => g[r * names.length + i]))));
      return out;
    });
  }

  /** Encoder features of the online network (evaluation mode, online masks and gates). Caller disposes. */
  features(split: ImageSplit, indices: number[]): tf.Tensor2D {
    // The method's first branch: the trained one, with the sparser masks.
    const infos: BranchInfo[] = [{ role: this.branchInfos()[0].role, view: 0 }];
    const chunks: tf.Tensor2D[] = [];
    // A batch that throws (a kernel's failure) leaves none of the finished ones behind.
    try {
      for (let i = 0; i < indices.length; i += EVAL_BATCH) {
        const idx = indices.slice(i, i + EVAL_BATCH);
        chunks.push(
          tf.tidy(() => {
            const x = batchTensor(split, idx, this.dataset, { size: this.imageSize });
            const branch: Branch = { params: this.online.vars, stats: this.online.stats, masks: this.masksFor(infos[0].role) };
            return encode(this.spec, [branch], [x], { training: false, convHook: this.convHook(infos, false), sparseKernels: this.config.kernels.sparse, prunedChannels: this.prunedChannels() })[0];
          }),
        );
      }
      return tf.concat(chunks) as tf.Tensor2D;
    } finally {
      tf.dispose(chunks);
    }
  }

  /** Held-out images one kNN figure is measured on (its standard error follows from it). */
  get knnQueryCount(): number {
    return Math.min(this.dataset.test.count, KNN_QUERIES);
  }

  private evalIndices(split: ImageSplit, max: number): number[] {
    const n = Math.min(split.count, max);
    const stride = split.count / n;
    return Array.from({ length: n }, (_, i) => Math.floor(i * stride));
  }

  /** kNN accuracy (cosine, temperature-weighted votes) of test features against train features. */
  async knn(): Promise<number> {
    return this.knnOf((split, idx) => this.features(split, idx));
  }

  /**
   * The same kNN monitor on raw pixels (the images as the network sees them, flattened):
   * what the data alone gives, a baseline no learned feature should fall below.
   */
  async rawPixelKnn(): Promise<number> {
    return this.knnOf((split, idx) => tf.tidy(() => {
      const x = batchTensor(split, idx, this.dataset, { size: this.imageSize });
      return x.reshape([idx.length, -1]) as tf.Tensor2D;
    }));
  }

  private async knnOf(featuresOf: (split: ImageSplit, indices: number[]) => tf.Tensor2D): Promise<number> {
    const { knnK, knnTemperature } = this.config.eval;
    const trainIdx = this.evalIndices(this.dataset.train, KNN_MEMORY);
    const testIdx = this.evalIndices(this.dataset.test, KNN_QUERIES);
    let bank: tf.Tensor2D | undefined;
    let queries: tf.Tensor2D | undefined;
    try {
      bank = featuresOf(this.dataset.train, trainIdx);
      queries = featuresOf(this.dataset.test, testIdx);
      return await knnAccuracy(
        bank,
        trainIdx.map((i) => this.dataset.train.labels[i]),
        queries,
        testIdx.map((i) => this.dataset.test.labels[i]),
        { k: knnK, temperature: knnTemperature, numClasses: this.dataset.classNames.length },
      );
    } finally {
      bank?.dispose();
      queries?.dispose();
    }
  }

  /** Linear probe on frozen encoder features (train split → test split). */
  async linearProbe(epochs = 100): Promise<ProbeResult> {
    const trainIdx = this.evalIndices(this.dataset.train, this.dataset.train.count);
    const testIdx = this.evalIndices(this.dataset.test, this.dataset.test.count);
    let xtr: tf.Tensor2D | undefined;
    let xte: tf.Tensor2D | undefined;
    try {
      xtr = this.features(this.dataset.train, trainIdx);
      xte = this.features(this.dataset.test, testIdx);
      return await linearProbe(
        xtr,
        trainIdx.map((i) => this.dataset.train.labels[i]),
        xte,
        testIdx.map((i) => this.dataset.test.labels[i]),
        { numClasses: this.dataset.classNames.length, epochs, seed: this.config.seed },
      );
    } finally {
      xtr?.dispose();
      xte?.dispose();
    }
  }

  /**
   * Every tensor that training changes, by a unique name: online and target variables,
   * BN running statistics, optimizer moments, plugin variables and masks. What a
   * checkpoint would save, and what a diverged step must leave as it was.
   */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = { ...this.namedVariables(), ...this.momentTensors() };
    for (const p of this.plugins) {
      for (const role of ['online', 'target'] as const) for (const [k, m] of Object.entries(p.masks?.(role) ?? {})) out[`${p.name}.mask.${role}.${k}`] = m;
    }
    return out;
  }

  /** AdamW's moments by the name a saved state holds them under (`adam.m.<variable>`, `adam.v.<variable>`). */
  private momentTensors(): Record<string, tf.Tensor> {
    const o = this.optimizer.state();
    return Object.fromEntries([...[...o.m].map(([k, v]) => [`adam.m.${k}`, v] as const), ...[...o.v].map(([k, v]) => [`adam.v.${k}`, v] as const)]);
  }

  /**
   * The variables a saved state holds, by the name it holds them under: networks' weights
   * and BN running statistics, plugin variables. (Optimizer moments and plugin state are
   * saved beside them.)
   */
  private namedVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    const net = (prefix: string, n: Network | undefined) => {
      if (!n) return;
      for (const [k, v] of Object.entries(n.vars)) out[`${prefix}.var.${k}`] = v;
      for (const [k, st] of Object.entries(n.stats)) {
        out[`${prefix}.stat.${k}.mean`] = st.mean as tf.Variable;
        out[`${prefix}.stat.${k}.variance`] = st.variance as tf.Variable;
      }
    };
    net('online', this.online);
    net('target', this.target);
    if (this.directPredictor) out['predictor.corr'] = this.directPredictor.corr;
    for (const p of this.plugins) for (const [k, v] of Object.entries(p.variables?.() ?? {})) out[`${p.name}.var.${k}`] = v;
    return out;
  }

  /** Everything the next steps depend on, read back as host data (one batch of readbacks). */
  async saveState(): Promise<TrainerState> {
    if (this.disposed) throw new Error('trainer is disposed');
    if (this.halfApplied) throw new Error(`not saved: ${this.halfApplied}`);
    const tensors: Record<string, tf.Tensor> = { ...this.namedVariables(), ...this.momentTensors() };
    const plugins: Record<string, unknown> = {};
    for (const p of this.plugins) {
      const st = p.saveState?.();
      if (!st) continue;
      plugins[p.name] = st.meta;
      for (const [k, t] of Object.entries(st.tensors)) tensors[`${p.name}.state.${k}`] = t;
    }
    return { version: TRAINER_STATE_VERSION, config: this.config, step: this.stepCount, peakLr: this.peakLr, optimizerSteps: this.optimizer.state().t, arrays: await readArrays(tensors), plugins };
  }

  /**
   * Put a saved state into this trainer, built from the same config and data and not yet
   * trained. Everything is checked before anything changes, so a state that does not fit
   * (another config, a damaged file) throws a message saying what was expected and leaves
   * the trainer as it was.
   */
  loadState(state: TrainerState): void {
    if (this.disposed) throw new Error('trainer is disposed');
    if (state.version !== TRAINER_STATE_VERSION) throw new Error(`saved state version ${state.version}: this app reads version ${TRAINER_STATE_VERSION}`);
    if (!Number.isInteger(state.step) || state.step < 0 || state.step > this.config.steps) throw new Error(`saved state: step ${state.step} is not within this run's 0…${this.config.steps}`);
    if (!(state.peakLr > 0)) throw new Error(`saved state: peak learning rate ${state.peakLr} is not positive`);
    // Checked here with the rest (AdamW checks it too, but only after the weights were replaced).
    if (!Number.isInteger(state.optimizerSteps) || state.optimizerSteps < 0) throw new Error(`saved state: optimizer steps ${state.optimizerSteps} is not a whole number ≥ 0 (a damaged file?)`);
    const vars = this.namedVariables();
    const arrays = state.arrays;
    for (const [k, v] of Object.entries(vars)) expectArray(arrays, k, v.shape, v.dtype as StateArray['dtype']);
    const trainable = this.trainableVars();
    const moments: { m: Record<string, StateArray>; v: Record<string, StateArray> } = { m: {}, v: {} };
    for (const key of Object.keys(arrays)) {
      const hit = /^adam\.(m|v)\.(.+)$/.exec(key);
      if (!hit) continue;
      // Own properties only: a name like adam.m.constructor must not find Object's.
      const w = Object.hasOwn(trainable, hit[2]) ? trainable[hit[2]] : undefined;
      if (!w) throw new Error(`saved state: optimizer moment ${key} belongs to no variable of this run`);
      moments[hit[1] as 'm' | 'v'][hit[2]] = expectArray(arrays, key, w.shape);
    }
    // AdamW makes a missing moment afresh as zeros and keeps the saved step count: a state
    // short of some would continue as another run, so it is refused here.
    for (const [has, lacks] of [['m', 'v'], ['v', 'm']] as const) {
      const half = Object.keys(moments[has]).find((k) => !(k in moments[lacks]));
      if (half) throw new Error(`saved state has adam.${has}.${half} but no adam.${lacks}.${half}: the optimizer's state is incomplete (a damaged file?)`);
    }
    if (state.optimizerSteps > 0 && Object.keys(moments.m).length === 0)
      throw new Error(`saved state: ${state.optimizerSteps} optimizer steps but no optimizer moments (adam.m.*, adam.v.*): the optimizer's state is missing (a damaged file?)`);
    const known = new Set([...Object.keys(vars), ...Object.keys(arrays).filter((k) => k.startsWith('adam.'))]);
    const byPlugin = new Map<string, Record<string, StateArray>>();
    for (const p of this.plugins) {
      const prefix = `${p.name}.state.`;
      const own: Record<string, StateArray> = {};
      for (const [k, a] of Object.entries(arrays)) if (k.startsWith(prefix)) { own[k.slice(prefix.length)] = a; known.add(k); }
      byPlugin.set(p.name, own);
      if (p.loadState && !(p.name in state.plugins)) throw new Error(`saved state has nothing for ${p.name}: was it saved from a run without ${p.name}?`);
    }
    const extra = Object.keys(arrays).filter((k) => !known.has(k));
    if (extra.length) throw new Error(`saved state has tensors this run does not have (${extra.slice(0, 3).join(', ')}${extra.length > 3 ? '…' : ''}): it was saved from another config`);
    // Plugins check their own state before changing anything; they go first so a refusal leaves the weights alone too.
    for (const p of this.plugins) p.loadState?.(state.plugins[p.name], byPlugin.get(p.name)!);
    tf.tidy(() => {
      for (const [k, v] of Object.entries(vars)) v.assign(toTensor(arrays[k]));
    });
    const toTensors = (r: Record<string, StateArray>) => Object.fromEntries(Object.entries(r).map(([k, a]) => [k, toTensor(a)]));
    const m = toTensors(moments.m);
    const v = toTensors(moments.v);
    try {
      this.optimizer.loadState(state.optimizerSteps, m, v);
    } finally {
      tf.dispose([...Object.values(m), ...Object.values(v)]);
    }
    this.stepCount = state.step;
    this.peakLr = state.peakLr;
    // A whole state replaces whatever a half-applied step left.
    this.halfApplied = undefined;
  }

  /** Optimizer steps taken (a diverged step takes none). */
  get optimizerSteps(): number {
    return this.optimizer.state().t;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.previous) tf.dispose(Object.values(this.previous.tensors));
    this.previous = undefined;
    for (const p of this.plugins) p.dispose();
    this.optimizer.dispose();
    disposeNetwork(this.online);
    disposeNetwork(this.target);
    this.directPredictor?.dispose();
  }
}
