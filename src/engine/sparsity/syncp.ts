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
import type { StateArray } from '../state/stateArray';
import { prunableConvs } from '../nn/resnet';
import { Rng } from '../random';
import type { LayerMasks } from '../viz/maskPanel';
import type { MaskUpdateStats } from '../viz/maskStats';
import { syncpSnapshot, type SyncCPSnapshot } from '../viz/syncpPanel';
import { maskerFor, type Masker, type MaskPair, type Shape4 } from './maskers';
import { channelScores } from './maskers/channel';
import { randomStart } from './maskers/randomStart';
import { cosineDecay, isUpdateStep, type UpdateWindow } from './schedule';
import { scheduleOf, type BranchPair, type SyncCPPlan } from './scheduleOf';
import {
  createLayer, denseMask, disposeLayers, layerCheckpoint, layerDensities, loadLayers, MaskDensities, maskTensor, maskTensors, saveLayers, updateScoreEmas, zeroWeights,
  type SyncCPLayer,
} from './syncpLayer';
import { syncpUpdate } from './syncpUpdate';

type Values = ArrayLike<number>;

export class SyncCPPlugin implements StepPlugin {
  readonly name = 'syncp';
  readonly cfg: SyncCPConfig;
  readonly window: UpdateWindow;
  private readonly plan: SyncCPPlan;
  private readonly masker: Masker;
  private readonly ctx: PluginContext;
  private readonly byol: boolean;
  private readonly layers: SyncCPLayer[];
  private readonly byName = new Map<string, SyncCPLayer>();
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
    const start = this.initialMasks(convs.map((c) => [c.kh, c.kw, c.cin, c.cout]));
    this.layers = convs.map((c, i) => {
      const shape: Shape4 = [c.kh, c.kw, c.cin, c.cout];
      const layer = createLayer(c.name, shape, start.masks[i], start.planned[i], this.byol, this.nm());
      if (this.cfg.scoreEma > 0) {
        layer.emaOnline = tf.tidy(() => tf.variable(tf.abs(ctx.online.vars[c.name]), false)); // tidy: |W| is a tensor of its own
        if (this.perBranchTarget()) layer.emaTarget = tf.tidy(() => tf.variable(tf.abs(ctx.target!.vars[c.name]), false));
      }
      this.byName.set(c.name, layer);
      return layer;
    });
  }

  /** Dense, or (initialDensity < 1) random masks at the schedule's initial value with ERK layer densities. */
  private initialMasks(shapes: Shape4[]): { masks: MaskPair[]; planned: BranchPair[] } {
    const erk = maskerFor({ ...this.cfg, layerBudget: 'erk' });
    if (this.cfg.initialDensity < 1) return randomStart(erk, shapes, this.plan.initial, !this.perBranchTarget(), new Rng(this.ctx.config.seed).fork('syncp-initial-masks'));
    return { masks: shapes.map((s) => ({ online: denseMask(s), target: denseMask(s) })), planned: erk.planned(shapes, this.plan.initial) };
  }

  nmPattern(): { n: number; m: number } | null {
    return this.nm();
  }

  private nm(): { n: number; m: number } | null {
    return this.cfg.granularity === 'nm' ? { n: this.cfg.n, m: this.cfg.m } : null;
  }

  /** True when the target ranks its own weights (per-branch scores in BYOL). */
  private perBranchTarget(): boolean {
    return this.cfg.scores === 'per-branch' && this.byol;
  }

  // ---------------------------------------------------------------- schedule

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

  // ---------------------------------------------------------------- the update

  /** Tensors to read back for the update (caller disposes): scores per role in the masker's layout, |W| and stashed |grad|. */
  private gather(): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      const channel = this.masker.scoreLayout === 'channel';
      const reduce = (s: tf.Tensor) => (channel ? channelScores(s, this.cfg.channelNorm) : s);
      for (const l of this.layers) {
        const wOn = this.ctx.online.vars[l.name];
        out[`${l.name}|so`] = reduce(l.emaOnline ? l.emaOnline.clone() : tf.abs(wOn));
        if (this.perBranchTarget()) out[`${l.name}|st`] = reduce(l.emaTarget ? l.emaTarget.clone() : tf.abs(this.ctx.target!.vars[l.name]));
        if (this.stashedGrads?.[l.name]) {
          out[`${l.name}|w`] = tf.abs(wOn);
          out[`${l.name}|g`] = this.stashedGrads[l.name].clone();
        }
      }
      return out;
    });
  }

  async prepareStep(step: number): Promise<void> {
    // Idempotent per step: a caller (a test, the panel) may prepare a step before the trainer does.
    if (this.prepared === step || !isUpdateStep(step, this.window)) return;
    const ts = this.gather();
    const keys = Object.keys(ts);
    let arrays: Values[];
    try {
      arrays = (await Promise.all(keys.map((k) => ts[k].data()))) as Values[];
    } finally {
      tf.dispose(ts);
    }
    this.apply(step, Object.fromEntries(keys.map((k, i) => [k, arrays[i]])));
    this.prepared = step;
  }

  beforeStep(step: number): void {
    if (this.prepared === step || !isUpdateStep(step, this.window)) return;
    // Synchronous fallback (the trainer calls prepareStep first; this is for other callers).
    const ts = this.gather();
    const data: Record<string, Values> = {};
    try {
      for (const [k, t] of Object.entries(ts)) data[k] = t.dataSync() as Values;
    } finally {
      tf.dispose(ts);
    }
    this.apply(step, data);
    this.prepared = step;
  }

  private apply(step: number, data: Record<string, Values>): void {
    const shared = !this.perBranchTarget();
    const so = this.layers.map((l) => data[`${l.name}|so`]);
    const next = syncpUpdate({
      masker: this.masker,
      layers: this.layers,
      value: this.plan.at(step),
      shared,
      scores: { online: so, target: shared ? so : this.layers.map((l) => data[`${l.name}|st`]) },
      byol: this.byol,
      nm: this.nm(),
      regrowth: this.regrowthOn()
        ? { rate: this.regrowthRate(step), weights: this.layers.map((l) => data[`${l.name}|w`]), grads: this.layers.map((l) => data[`${l.name}|g`]) }
        : null,
    });
    if (this.stashedGrads) {
      this.retire(Object.values(this.stashedGrads));
      this.stashedGrads = null;
    }
    this.layers.forEach((l, i) => next[i].zero && zeroWeights(l, this.ctx.online.vars[l.name], next[i].zero!));

    const resets: Record<string, tf.Tensor> = {};
    this.layers.forEach((l, i) => {
      const u = next[i];
      if (u.entered) resets[l.name] = maskTensor(u.entered, l.shape);
      Object.assign(l, u.stats, { online: u.online, target: u.target, planned: u.planned });
      this.retire([l.tOnline, l.tTarget, l.tUpdate]);
      Object.assign(l, maskTensors(u, l.shape, this.byol));
    });
    if (this.pendingResets) this.retire(Object.values(this.pendingResets));
    this.pendingResets = Object.keys(resets).length ? resets : null;
    this.lastUpdate = step;
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
    if (this.prepared === step || !isUpdateStep(step, this.window)) return undefined;
    const saved = { lastUpdate: this.lastUpdate, prepared: this.prepared, stashedGrads: this.stashedGrads, pendingResets: this.pendingResets };
    // Regrowth writes zeros into W and its EMA score: the layer checkpoint keeps copies of both.
    const layers = layerCheckpoint(this.layers, this.regrowthOn() ? this.ctx.online.vars : null);
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

  // ---------------------------------------------------------------- StepPlugin

  masks(role: BranchRole): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const l of this.layers) out[l.name] = maskSlot(role) === 'online' ? l.tOnline : l.tTarget;
    return out;
  }

  updateMask(name: string): tf.Tensor | undefined {
    return this.byName.get(name)?.tUpdate;
  }

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

  report(metrics: Record<string, Float32Array>): Record<string, unknown> {
    return { density: this.weightDensity(metrics) };
  }

  async exportMasks(): Promise<ExportedMask[]> {
    return this.layers.map((l) => ({ name: l.name, shape: [...l.shape], online: l.online.slice(), target: l.target.slice() }));
  }

  // ---------------------------------------------------------------- panel

  /** Layer names in forward order. */
  layerNames(): string[] {
    return this.layers.map((l) => l.name);
  }

  /** A layer's current masks (copies) and last flips, e.g. for the N:M grid or the mask history; undefined for an unknown name. */
  layerMasks(name: string): LayerMasks | undefined {
    const l = this.byName.get(name);
    return l && { name: l.name, shape: [...l.shape] as Shape4, online: l.online.slice(), target: l.target.slice(), flips: { ...l.flips } };
  }

  /** Step of the last mask update (null before the first): lets callers skip unchanged summaries. */
  get lastUpdateStep(): number | null {
    return this.lastUpdate;
  }

  /** Per-layer statistics of the last mask update (no heatmaps). */
  updateSummary(): { step: number | null; layers: ({ name: string } & MaskUpdateStats)[] } {
    return {
      step: this.lastUpdate,
      layers: this.layers.map((l) => ({ name: l.name, flips: { ...l.flips }, nested: l.nested, iou: l.iou, nmFraction: l.nmFraction ? { ...l.nmFraction } : null })),
    };
  }

  /** Structured-cloneable state for the SyncCP panel; no readback (masks live on the CPU too). */
  async snapshot(view: PanelView = {}): Promise<SyncCPSnapshot> {
    const selected = (view.selectedLayer && this.byName.get(view.selectedLayer)) || this.layers[0];
    return syncpSnapshot({ cfg: this.cfg, plan: this.plan, totalSteps: this.ctx.totalSteps, step: this.stepsDone, lastUpdateStep: this.lastUpdate, layers: this.layers, selected });
  }

  // ---------------------------------------------------------------- resume

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
    disposeLayers(this.layers);
    tf.dispose([...Object.values(this.stashedGrads ?? {}), ...Object.values(this.pendingResets ?? {})]);
    this.stashedGrads = null;
    this.pendingResets = null;
  }
}
