// SyncCP — synchronized contrastive pruning, as a StepPlugin (DESIGN.md "SyncCP"). The
// coordinator: at the schedule's update steps it reads the scores back and hands them to
// the pure update (syncpUpdate.ts: the masker of its granularity, maskers/, and GraNet
// regrowth, regrowth.ts), applies the result to its layers (syncpLayer.ts: CPU and device
// copies of both masks, score EMAs, saved state) and gives the masks to the trainer. The
// schedule is scheduleOf's; the panel data is built in viz/syncpPanel.ts.
//
// - Two 0/1 masks per prunable conv, by mask slot (plugin.ts maskSlot): 'online' (sparser;
//   BYOL's online network, SimCLR's first branch) and 'target' (denser by the gap; BYOL's
//   target, SimCLR's second branch). Both change at the SAME update steps.
// - Scores S = |W_online| (or S ← μS + (1−μ)|W| every step). `shared`: both masks rank S,
//   so online ⊆ target; `per-branch`: the BYOL target ranks its own weights (SimCLR's
//   branches share W, so there per-branch is shared).
// - The optimizer updates entries of the update mask only (BYOL: online; SimCLR: the union);
//   entries that enter it restart with zero Adam moments (momentResets).
// - initialDensity < 1: before the first update the masks are random (seeded), with ERK
//   layer densities at d_i and d_i + g, as the reference code starts.
// - Masks are ranked on the CPU at update steps only; the readback is async in
//   prepareStep (WebGPU), beforeStep falls back to a synchronous read.
import * as tf from '@tensorflow/tfjs';
import type { SyncCPConfig } from '../config';
import { maskSlot, type BranchRole, type ExportedMask, PanelView, type PluginContext, type PluginState, type StepCheckpoint, type StepHelpers, type StepPlugin } from '../plugin';
import type { PluginRowFields } from '../runFile';
import type { StateArray } from '../state/stateArray';
import { bnNameFor, channelFeeders, prunableConvs } from '../nn/resnet';
import { floatMask } from './floatMask';
import type { LayerMasks } from '../viz/maskPanel';
import type { MaskUpdateStats } from '../viz/maskStats';
import { syncpSnapshot, type SyncCPSnapshot } from '../viz/syncpPanel';
import { maskerFor, type Masker, type Shape4 } from './maskers';
import { startMasks } from './maskers/randomStart';
import { cosineDecay, isUpdateStep, type UpdateWindow } from './schedule';
import { scheduleOf, type BranchPair, type SyncCPPlan } from './scheduleOf';
import {
  applyLayerUpdate, createLayer, disposeLayers, layerCheckpoint, layerDensities, layerMasksOf, loadLayers, MaskDensities, readBack, readBackSync, saveLayers, scoreTensors,
  updateRecordOf, updateScoreEmas, zeroWeights,
  type SyncCPLayer,
} from './syncpLayer';
import { syncpUpdate } from './syncpUpdate';

export class SyncCPPlugin implements StepPlugin {
  readonly name = 'syncp';
  readonly cfg: SyncCPConfig;
  readonly window: UpdateWindow;
  private readonly plan: SyncCPPlan;
  private readonly masker: Masker;
  private readonly ctx: PluginContext;
  private readonly byol: boolean;
  private readonly layers: SyncCPLayer[];
  private readonly byName: ReadonlyMap<string, SyncCPLayer>;
  private lastUpdate: number | null = null;
  private stepsDone = 0;
  private prepared = -1;
  /** |∂L/∂(W⊙M)| from the step before a regrowth update (afterStep), consumed by the update. */
  private stashedGrads: Record<string, tf.Tensor> | null = null;
  /** Entries that entered the update mask at this step's update: their Adam moments restart at 0. */
  private pendingResets: Record<string, tf.Tensor> | null = null;
  /** While a step checkpoint is open: tensors the update replaced, disposed only when the step commits. */
  private retired: tf.Tensor[] | null = null;
  private readonly densities = new MaskDensities();

  constructor(ctx: PluginContext) {
    if (!ctx.config.syncp) throw new Error('SyncCPPlugin: config.syncp is not set');
    this.ctx = ctx;
    this.cfg = ctx.config.syncp;
    // A separate target network (BYOL): its mask applies in its own forward; otherwise both
    // branches train the same weights and the optimizer updates the union of their masks.
    this.byol = !!ctx.target;
    this.plan = scheduleOf(ctx.config).syncp!;
    this.window = this.plan.window;
    this.masker = maskerFor(this.cfg);
    const convs = prunableConvs(ctx.spec.encoder);
    if (convs.length === 0) throw new Error('SyncCPPlugin: the network has no prunable convolution');
    const shapes = convs.map((c): Shape4 => [c.kh, c.kw, c.cin, c.cout]);
    const start = startMasks(this.cfg, shapes, this.plan.initial, !this.perBranchTarget(), ctx.config.seed);
    const ema = this.cfg.scoreEma > 0;
    this.layers = convs.map((c, i) => {
      const emaTarget = ema && this.perBranchTarget() ? ctx.target!.vars[c.name] : undefined;
      return createLayer(c.name, shapes[i], start.masks[i], start.planned[i], this.byol, this.nmPattern(), ema ? ctx.online.vars[c.name] : undefined, emaTarget);
    });
    this.byName = new Map(this.layers.map((l) => [l.name, l]));
    if (this.regrowthOn() && this.cfg.initialDensity < 1) {
      // GraNet: a random start prunes weights to 0, as a weight that later leaves both masks
      // is zeroed (the same zeroWeights, score EMAs included). Left at their initial values
      // they won the first magnitude ranking back, where only regrowth (at 0) brings them in.
      for (const l of this.layers) {
        const outside = Uint8Array.from(l.online, (o, j) => (o || l.target[j] ? 0 : 1));
        zeroWeights(l, ctx.online.vars[l.name], outside);
        // A per-branch target ranks its own weights: zeroed alike, as an update zeroes it.
        if (this.perBranchTarget()) zeroWeights(l, ctx.target!.vars[l.name], outside, l.emaTarget);
      }
    }
    if (this.cfg.granularity === 'channel') {
      for (const l of this.layers) for (const p of ['gamma', 'beta']) this.channelParams.set(`${bnNameFor(l.name)}.${p}`, l);
      for (const [conv, fed] of channelFeeders(ctx.spec.encoder)) {
        const from = this.byName.get(fed);
        if (from && this.byName.has(conv)) this.readsChannelsOf.set(conv, from);
      }
    }
  }

  /** Channel pruning: BN γ/β by name → the conv whose output channels they scale. */
  private readonly channelParams = new Map<string, SyncCPLayer>();
  /** Channel pruning: a block's conv2 → its conv1, whose pruned output channels (0 after BN and ReLU) conv2 reads. */
  private readonly readsChannelsOf = new Map<string, SyncCPLayer>();

  nmPattern(): { n: number; m: number } | null {
    return this.cfg.granularity === 'nm' ? { n: this.cfg.n, m: this.cfg.m } : null;
  }

  /** True when the target ranks its own weights (per-branch scores in BYOL). */
  private perBranchTarget(): boolean {
    return this.cfg.scores === 'per-branch' && this.byol;
  }

  /** Schedule value at `step`: density (unstructured/channel) or N:M group fraction p, per role. */
  scheduleValue(step: number): BranchPair {
    return this.plan.at(step);
  }

  /** Planned per-layer densities (fraction of weights, or channels, kept) at `step`. */
  plannedDensities(step: number): BranchPair[] {
    return this.masker.planned(this.layers.map((l) => l.shape), this.plan.at(step));
  }

  /** GraNet regrowth runs on unstructured masks only. */
  private regrowthOn(): boolean {
    return this.cfg.regrowth.enabled && this.cfg.granularity === 'unstructured';
  }

  private regrowthRate(step: number): number {
    if (!this.regrowthOn()) return 0;
    return cosineDecay(step, { from: this.cfg.regrowth.rate, to: 0, start: this.window.start, end: this.window.end });
  }

  /** What the update reads back (scoreTensors; the caller disposes). */
  private gather(): Record<string, tf.Tensor> {
    const target = this.perBranchTarget() ? this.ctx.target!.vars : null;
    const channelNorm = this.masker.scoreLayout === 'channel' ? this.cfg.channelNorm : null;
    return scoreTensors(this.layers, this.ctx.online.vars, target, this.stashedGrads, channelNorm);
  }

  /** An update step not prepared yet. Idempotent per step: a caller (a test, the panel) may prepare a step before the trainer does. */
  private due(step: number): boolean {
    return this.prepared !== step && isUpdateStep(step, this.window);
  }

  async prepareStep(step: number): Promise<void> {
    if (this.due(step)) this.apply(step, await readBack(this.gather()));
  }

  beforeStep(step: number): void {
    // Synchronous fallback (the trainer calls prepareStep first; this is for other callers).
    if (this.due(step)) this.apply(step, readBackSync(this.gather()));
  }

  private apply(step: number, data: Record<string, ArrayLike<number>>): void {
    const shared = !this.perBranchTarget();
    const so = this.layers.map((l) => data[`${l.name}|so`]);
    const next = syncpUpdate({
      masker: this.masker,
      layers: this.layers,
      value: this.plan.at(step),
      shared,
      scores: { online: so, target: shared ? so : this.layers.map((l) => data[`${l.name}|st`]) },
      byol: this.byol,
      nm: this.nmPattern(),
      regrowth: this.regrowthOn()
        ? { rate: this.regrowthRate(step), weights: this.layers.map((l) => data[`${l.name}|w`]), grads: this.layers.map((l) => data[`${l.name}|g`]) }
        : null,
    });
    if (this.stashedGrads) {
      this.retire(Object.values(this.stashedGrads));
      this.stashedGrads = null;
    }
    this.layers.forEach((l, i) => next[i].zero && zeroWeights(l, this.ctx.online.vars[l.name], next[i].zero!));
    // A target that ranks its own weights (per-branch scores, BYOL) would bring a weight both
    // masks dropped back at its old value: its copy and score are zeroed too, there only (a
    // weight grown into the online mask may still be in the target's, which keeps its value).
    if (!shared && this.ctx.target) {
      this.layers.forEach((l, i) => {
        const z = next[i].zero;
        if (!z) return;
        const leftBoth = z.map((v, j) => (v && !next[i].online[j] && !next[i].target[j] ? 1 : 0));
        if (leftBoth.some((v) => v)) zeroWeights(l, this.ctx.target!.vars[l.name], leftBoth, l.emaTarget);
      });
    }

    const resets: Record<string, tf.Tensor> = {};
    this.layers.forEach((l, i) => {
      const reset = applyLayerUpdate(l, next[i], this.byol, (ts) => this.retire(ts));
      if (reset) resets[l.name] = reset;
    });
    // Channel pruning: a revived channel's BN γ/β and the next conv's weights reading it start from rest too.
    for (const [param, l] of this.channelParams) if (resets[l.name]) resets[param] = tf.tidy(() => channelsOf(resets[l.name]));
    for (const [conv, from] of this.readsChannelsOf) {
      const r = resets[from.name];
      if (!r) continue;
      const [kh, kw, , cout] = this.byName.get(conv)!.tUpdate.shape as number[];
      const old = resets[conv];
      resets[conv] = tf.tidy(() => {
        const slices = tf.tile(channelsOf(r).reshape([1, 1, -1, 1]), [kh, kw, 1, cout]);
        return old ? tf.maximum(floatMask(old), slices) : slices;
      });
      old?.dispose();
    }
    if (this.pendingResets) this.retire(Object.values(this.pendingResets));
    this.pendingResets = Object.keys(resets).length ? resets : null;
    this.lastUpdate = step;
    this.prepared = step;
  }

  private retire(ts: tf.Tensor[]): void {
    if (this.retired) this.retired.push(...ts);
    else tf.dispose(ts);
  }

  /**
   * A mask update changes masks (and, with regrowth, zeroes weights) before the step's
   * loss is known. On update steps this saves what the update replaces, so a diverged
   * step can be undone exactly; other steps change nothing before the readback.
   */
  checkpoint(step: number): StepCheckpoint | undefined {
    if (!this.due(step)) return undefined;
    const saved = { lastUpdate: this.lastUpdate, prepared: this.prepared, stashedGrads: this.stashedGrads, pendingResets: this.pendingResets };
    // Regrowth writes zeros into W and its EMA score: the layer checkpoint keeps copies of both.
    const layers = layerCheckpoint(this.layers, this.regrowthOn() ? this.ctx.online.vars : null, this.regrowthOn() && this.perBranchTarget() ? this.ctx.target!.vars : null);
    this.retired = [];
    return {
      release: () => {
        tf.dispose(this.retired ?? []);
        this.retired = null;
        layers.drop();
      },
      restore: () => {
        layers.restore();
        if (this.pendingResets && this.pendingResets !== saved.pendingResets) tf.dispose(Object.values(this.pendingResets));
        // The update consumed the stashed gradients: they are in `retired` and come back from it.
        this.retired = null;
        ({ lastUpdate: this.lastUpdate, prepared: this.prepared, stashedGrads: this.stashedGrads, pendingResets: this.pendingResets } = saved);
      },
    };
  }

  masks(role: BranchRole): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const l of this.layers) out[l.name] = maskSlot(role) === 'online' ? l.tOnline : l.tTarget;
    return out;
  }

  /**
   * The optimizer's update mask of a variable. With channel pruning a pruned channel's BN
   * γ/β, and the next conv's weights that read it, get no gradient either: frozen too (else
   * AdamW steps them on stale moments and a denser target follows by EMA), as DESIGN has
   * masked entries "stay as they were when pruned". Called inside the optimizer's tidy.
   */
  updateMask(name: string): tf.Tensor | undefined {
    const own = this.byName.get(name)?.tUpdate;
    const scaled = this.channelParams.get(name);
    if (scaled) return this.derived(name, [scaled.tUpdate], () => channelsOf(scaled.tUpdate));
    const feeder = this.readsChannelsOf.get(name);
    if (own && feeder) return this.derived(name, [own, feeder.tUpdate], () => tf.mul(floatMask(own), channelsOf(feeder.tUpdate).reshape([1, 1, -1, 1])));
    return own;
  }

  /** A mask made from others, kept until one of them is replaced (an update, a rollback): masks change at updates only. */
  private derived(name: string, from: tf.Tensor[], make: () => tf.Tensor): tf.Tensor {
    const c = this.derivedMasks.get(name);
    if (c && c.from.length === from.length && c.from.every((t, i) => t === from[i])) return c.mask;
    c?.mask.dispose();
    const mask = tf.keep(tf.tidy(make));
    this.derivedMasks.set(name, { from, mask });
    return mask;
  }

  private readonly derivedMasks = new Map<string, { from: tf.Tensor[]; mask: tf.Tensor }>();

  momentResets(): Record<string, tf.Tensor> | undefined {
    return this.pendingResets ?? undefined;
  }

  afterStep(step: number, _grads: Record<string, tf.Tensor>, helpers: StepHelpers): void {
    this.stepsDone = step + 1;
    if (this.pendingResets) {
      tf.dispose(Object.values(this.pendingResets));
      this.pendingResets = null;
    }
    if (this.cfg.scoreEma > 0) updateScoreEmas(this.layers, this.cfg.scoreEma, this.ctx.online.vars, this.ctx.target?.vars);
    const nextStep = step + 1;
    if (nextStep < this.ctx.totalSteps && isUpdateStep(nextStep, this.window) && this.regrowthRate(nextStep) > 0) {
      const names = this.layers.map((l) => l.name);
      const g = helpers.effectiveGradients(names);
      tf.dispose(this.stashedGrads ?? {});
      this.stashedGrads = tf.tidy(() => Object.fromEntries(names.map((nm) => [nm, tf.abs(g[nm])])));
      tf.dispose(g);
    }
  }

  metrics(): Record<string, tf.Tensor> {
    return { 'syncp.density': this.densities.of(this.layers) };
  }

  weightDensity(metrics: Record<string, Float32Array> = {}): Record<string, BranchPair> {
    return layerDensities(this.layers, metrics['syncp.density']);
  }

  /**
   * Channel masks keep whole output channels and are constant over the other axes, so the
   * weight density is the kept fraction of channels. Other granularities prune no channel
   * whole (one emptied by chance is not counted).
   */
  outputChannelDensity(metrics: Record<string, Float32Array> = {}): Record<string, BranchPair> | undefined {
    return this.cfg.granularity === 'channel' ? this.weightDensity(metrics) : undefined;
  }

  report(metrics: Record<string, Float32Array>): PluginRowFields {
    return { density: this.weightDensity(metrics) };
  }

  async exportMasks(): Promise<ExportedMask[]> {
    return this.layers.map((l) => ({ name: l.name, shape: [...l.shape], online: l.online.slice(), target: l.target.slice() }));
  }

  /** Layer names in forward order. */
  layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** A layer's current masks (copies) and last flips, e.g. for the N:M grid or the mask history; undefined for an unknown name. */
  layerMasks(name: string): LayerMasks | undefined {
    const l = this.byName.get(name);
    return l && layerMasksOf(l);
  }

  /**
   * Step of the last mask update as rows and charts number steps (null before the first):
   * the first step trained with the new masks. Masks change before the forward of the step
   * at index k (this.lastUpdate, kept so in saved state), whose row is step k + 1.
   */
  get lastUpdateStep(): number | null {
    return this.lastUpdate === null ? null : this.lastUpdate + 1;
  }

  /** Per-layer statistics of the last mask update (no heatmaps), at lastUpdateStep. */
  updateSummary(): { step: number | null; layers: ({ name: string } & MaskUpdateStats)[] } {
    return { step: this.lastUpdateStep, layers: this.layers.map(updateRecordOf) };
  }

  /** Structured-cloneable state for the SyncCP panel; no readback (masks live on the CPU too). */
  async snapshot(view: PanelView = {}): Promise<SyncCPSnapshot> {
    const selected = (view.selectedLayer && this.byName.get(view.selectedLayer)) || this.layers[0];
    return syncpSnapshot({ cfg: this.cfg, plan: this.plan, totalSteps: this.ctx.totalSteps, step: this.stepsDone, lastUpdateStep: this.lastUpdateStep, layers: this.layers, selected });
  }

  saveState(): PluginState {
    return saveLayers(this.layers, this.stashedGrads, { lastUpdate: this.lastUpdate, stepsDone: this.stepsDone, prepared: this.prepared });
  }

  loadState(meta: unknown, arrays: Record<string, StateArray>): void {
    const { book, stashedGrads } = loadLayers(this.layers, meta, arrays, this.byol);
    tf.dispose(this.stashedGrads ?? {});
    this.stashedGrads = stashedGrads;
    ({ lastUpdate: this.lastUpdate, stepsDone: this.stepsDone, prepared: this.prepared } = book);
  }

  dispose(): void {
    this.densities.dispose();
    for (const c of this.derivedMasks.values()) c.mask.dispose();
    this.derivedMasks.clear();
    disposeLayers(this.layers);
    tf.dispose([...Object.values(this.stashedGrads ?? {}), ...Object.values(this.pendingResets ?? {})]);
    this.stashedGrads = null;
    this.pendingResets = null;
  }
}

/** Per output channel of a kernel-shaped 0/1 mask [kh, kw, C_in, C_out]: 1 where any entry is set ([C_out], float). */
function channelsOf(mask: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.max(floatMask(mask), [0, 1, 2]) as tf.Tensor1D);
}
