// SyncCP — synchronized contrastive pruning, as a StepPlugin (DESIGN.md "SyncCP"). The
// coordinator: it reads scores back at the schedule's update steps, asks the masker of
// its granularity (maskers/) for both branches' masks, lets GraNet regrowth (regrowth.ts)
// adjust them, and hands the masks to the trainer. The schedule is scheduleOf's, the
// panel data is built in viz/syncpPanel.ts.
//
// - Two 0/1 masks per prunable conv, by mask slot (plugin.ts maskSlot): 'online' (sparser;
//   BYOL's online network, SimCLR's first branch) and 'target' (denser by the gap; BYOL's
//   target, SimCLR's second branch). Both change at the SAME update steps.
// - Scores S = |W_online| (or S ← μS + (1−μ)|W| every step). `shared`: both masks rank S,
//   so online ⊆ target; `per-branch`: the BYOL target ranks its own weights (SimCLR's
//   branches share W, so there per-branch is shared).
// - The optimizer updates entries of the update mask only (BYOL: online; SimCLR: the union,
//   since both branches train the same W); entries that enter it restart with zero Adam
//   moments (momentResets).
// - initialDensity < 1: before the first update the masks are random (seeded), with ERK
//   layer densities at d_i and d_i + g, as the reference code starts.
// - Masks are ranked on the CPU at update steps only; the readback is async in
//   prepareStep (WebGPU), beforeStep falls back to a synchronous read.
import * as tf from '@tensorflow/tfjs';
import type { SyncCPConfig } from '../config';
import { maskSlot, type BranchRole, type ExportedMask, PanelView, type PluginContext, type PluginState, type StepCheckpoint, type StepHelpers, type StepPlugin } from '../plugin';
import { expectArray, toTensor as stateTensor, type StateArray } from '../state/stateArray';
import { rememberMaskValues } from '../nn/maskValues';
import { prunableConvs } from '../nn/resnet';
import { Rng } from '../random';
import type { LayerMasks } from '../viz/maskPanel';
import { maskUpdateStats, ones, type MaskUpdateStats } from '../viz/maskStats';
import { syncpSnapshot, type SyncCPSnapshot } from '../viz/syncpPanel';
import { maskerFor, type Masker, type MaskPair, type Shape4 } from './maskers';
import { channelScores } from './maskers/channel';
import { randomStart } from './maskers/randomStart';
import { regrowLayer } from './regrowth';
import { cosineDecay, isUpdateStep, type UpdateWindow } from './schedule';
import { scheduleOf, type BranchPair, type SyncCPPlan } from './scheduleOf';

type Values = ArrayLike<number>;

/** One prunable conv: its masks (CPU and device copies), the last update's statistics, score EMAs. */
interface SyncCPLayer extends MaskUpdateStats {
  name: string;
  shape: Shape4;
  size: number;
  online: Uint8Array;
  target: Uint8Array;
  planned: BranchPair;
  tOnline: tf.Tensor;
  tTarget: tf.Tensor;
  /** The optimizer's update mask as bool (SimCLR: the union of both masks; BYOL: the online mask). */
  tUpdate: tf.Tensor;
  emaOnline?: tf.Variable;
  emaTarget?: tf.Variable;
}

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
  /** Per-layer [online, target] mask densities and the mask tensors they were measured on. */
  private densityCache: { masks: tf.Tensor[]; tensor: tf.Tensor } | null = null;

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
      const { online, target } = start.masks[i];
      const layer: SyncCPLayer = {
        name: c.name,
        shape,
        size: online.length,
        online,
        target,
        planned: start.planned[i],
        ...maskUpdateStats({ online, target }, { online, target }, shape, this.nm()),
        tOnline: toTensor(online, shape),
        tTarget: toTensor(target, shape),
        tUpdate: this.updateTensor(online, target, shape),
      };
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
    return { masks: shapes.map((s) => ({ online: dense(s), target: dense(s) })), planned: erk.planned(shapes, this.plan.initial) };
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

  private updateTensor(online: Uint8Array, target: Uint8Array, shape: Shape4): tf.Tensor {
    return tf.tensor(this.byol ? online : union(online, target), shape, 'bool');
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

  private regrowthRate(step: number): number {
    const r = this.cfg.regrowth;
    if (!r.enabled || this.cfg.granularity !== 'unstructured') return 0;
    return cosineDecay(step, { from: r.rate, to: 0, start: this.window.start, end: this.window.end });
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
    const shapes = this.layers.map((l) => l.shape);
    const value = this.plan.at(step);
    const planned = this.masker.planned(shapes, value);
    const shared = !this.perBranchTarget();
    const so = this.layers.map((l) => data[`${l.name}|so`]);
    const st = shared ? so : this.layers.map((l) => data[`${l.name}|st`]);
    const next = this.masker.masks({ shapes, scores: { online: so, target: st }, shared, value, planned });

    // GraNet: drop and grow on the online masks, and zero what restarts (regrowth.ts).
    const zero = new Map<string, Uint8Array>();
    const grown = new Map<string, Uint8Array>();
    if (this.cfg.regrowth.enabled && this.cfg.granularity === 'unstructured') {
      const rate = this.regrowthRate(step);
      this.layers.forEach((l, i) => {
        const w = data[`${l.name}|w`];
        const g = data[`${l.name}|g`];
        const r = regrowLayer({
          ...next[i],
          previous: { online: l.online, target: l.target },
          weightMagnitude: w ?? so[i],
          gradMagnitude: g ?? so[i],
          rate: w && g ? rate : 0,
          nestScores: shared ? so[i] : undefined,
        });
        next[i] = { online: r.online, target: r.target };
        if (ones(r.zero)) zero.set(l.name, r.zero);
        if (ones(r.grown)) grown.set(l.name, r.grown);
      });
    }
    if (this.stashedGrads) {
      this.retire(Object.values(this.stashedGrads));
      this.stashedGrads = null;
    }
    if (zero.size) this.zeroWeights(zero);

    const resets: Record<string, tf.Tensor> = {};
    this.layers.forEach((l, i) => {
      const { online, target } = next[i];
      const entered = enteredUpdate(this.byol, { online: l.online, target: l.target }, next[i], grown.get(l.name));
      if (entered) resets[l.name] = toTensor(entered, l.shape);
      Object.assign(l, maskUpdateStats({ online: l.online, target: l.target }, next[i], l.shape, this.nm()));
      l.online = online;
      l.target = target;
      l.planned = planned[i];
      this.retire([l.tOnline, l.tTarget, l.tUpdate]);
      l.tOnline = toTensor(online, l.shape);
      l.tTarget = toTensor(target, l.shape);
      l.tUpdate = this.updateTensor(online, target, l.shape);
    });
    if (this.pendingResets) this.retire(Object.values(this.pendingResets));
    this.pendingResets = Object.keys(resets).length ? resets : null;
    this.lastUpdate = step;
  }

  /** Set W (and its EMA score) to 0 where `zero` is 1. where(), not W·(1−Z): a negative weight times 0 would be −0. */
  private zeroWeights(zero: Map<string, Uint8Array>): void {
    tf.tidy(() => {
      for (const [name, z] of zero) {
        const l = this.byName.get(name)!;
        const where = tf.tensor(z, l.shape, 'bool');
        const w = this.ctx.online.vars[name];
        w.assign(tf.where(where, tf.zerosLike(w), w));
        if (l.emaOnline) l.emaOnline.assign(tf.where(where, tf.zerosLike(l.emaOnline), l.emaOnline));
      }
    });
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
    const layers = this.layers.map((l) => ({ ...l }));
    const saved = { lastUpdate: this.lastUpdate, prepared: this.prepared, stashedGrads: this.stashedGrads, pendingResets: this.pendingResets };
    // Regrowth writes zeros into W and its EMA score: keep copies of both.
    const regrowth = this.cfg.regrowth.enabled && this.cfg.granularity === 'unstructured';
    const weights = regrowth ? this.layers.map((l) => ({ w: tf.clone(this.ctx.online.vars[l.name]), ema: l.emaOnline ? tf.clone(l.emaOnline) : null })) : [];
    const drop = () => weights.forEach((c) => tf.dispose(c.ema ? [c.w, c.ema] : [c.w]));
    this.retired = [];
    return {
      release: () => {
        tf.dispose(this.retired ?? []);
        this.retired = null;
        drop();
      },
      restore: () => {
        const old = new Set(layers.flatMap((l) => [l.tOnline, l.tTarget, l.tUpdate]));
        this.layers.forEach((l, i) => {
          tf.dispose([l.tOnline, l.tTarget, l.tUpdate].filter((t) => !old.has(t)));
          Object.assign(l, layers[i]);
          const c = weights[i];
          if (c) {
            this.ctx.online.vars[l.name].assign(c.w);
            if (c.ema && l.emaOnline) l.emaOnline.assign(c.ema);
          }
        });
        drop();
        if (this.pendingResets && this.pendingResets !== saved.pendingResets) tf.dispose(Object.values(this.pendingResets));
        // The update consumed the stashed gradients: they are in `retired` and come back from it.
        this.retired = null;
        this.lastUpdate = saved.lastUpdate;
        this.prepared = saved.prepared;
        this.stashedGrads = saved.stashedGrads;
        this.pendingResets = saved.pendingResets;
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
    const mu = this.cfg.scoreEma;
    if (mu > 0) {
      tf.tidy(() => {
        for (const l of this.layers) {
          l.emaOnline!.assign(tf.add(tf.mul(l.emaOnline!, mu), tf.mul(tf.abs(this.ctx.online.vars[l.name]), 1 - mu)));
          if (l.emaTarget) l.emaTarget.assign(tf.add(tf.mul(l.emaTarget, mu), tf.mul(tf.abs(this.ctx.target!.vars[l.name]), 1 - mu)));
        }
      });
    }
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
    // Mask densities measured on the device: [online, target] per layer, in layer order.
    // Masks change only at updates (or when a diverged step is undone), so the densities
    // are computed once per set of masks and handed out as clones (no kernel runs).
    const masks = this.layers.flatMap((l) => [l.tOnline, l.tTarget]);
    const c = this.densityCache;
    if (!c || c.masks.length !== masks.length || c.masks.some((m, i) => m !== masks[i])) {
      c?.tensor.dispose();
      this.densityCache = { masks, tensor: tf.tidy(() => tf.stack(masks.map((m) => tf.mean(m)))) };
    }
    return { 'syncp.density': this.densityCache!.tensor.clone() };
  }

  weightDensity(metrics: Record<string, Float32Array> = {}): Record<string, BranchPair> {
    const d = metrics['syncp.density'];
    const out: Record<string, BranchPair> = {};
    this.layers.forEach((l, i) => {
      out[l.name] = d && d.length === 2 * this.layers.length
        ? { online: d[2 * i], target: d[2 * i + 1] }
        : { online: ones(l.online) / l.size, target: ones(l.target) / l.size };
    });
    return out;
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

  /** Masks, score EMAs, gradients stashed for the next regrowth, and the update's bookkeeping. */
  saveState(): PluginState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const l of this.layers) {
      tensors[`${l.name}.online`] = l.tOnline;
      tensors[`${l.name}.target`] = l.tTarget;
      if (l.emaOnline) tensors[`${l.name}.emaOnline`] = l.emaOnline;
      if (l.emaTarget) tensors[`${l.name}.emaTarget`] = l.emaTarget;
      if (this.stashedGrads?.[l.name]) tensors[`${l.name}.stashedGrad`] = this.stashedGrads[l.name];
    }
    const layers = this.layers.map((l) => ({ name: l.name, planned: l.planned, flips: l.flips, nested: l.nested, iou: l.iou, nmFraction: l.nmFraction }));
    return { meta: { lastUpdate: this.lastUpdate, stepsDone: this.stepsDone, prepared: this.prepared, layers }, tensors };
  }

  loadState(meta: unknown, arrays: Record<string, StateArray>): void {
    const m = meta as { lastUpdate: number | null; stepsDone: number; prepared: number; layers: Pick<SyncCPLayer, 'name' | 'planned' | 'flips' | 'nested' | 'iou' | 'nmFraction'>[] };
    if (!m || !Array.isArray(m.layers) || typeof m.stepsDone !== 'number') throw new Error('saved SyncCP state is malformed (expected lastUpdate, stepsDone, prepared and layers)');
    const names = this.layers.map((l) => l.name).join(', ');
    if (m.layers.map((l) => l.name).join(', ') !== names) throw new Error(`saved SyncCP state has layers [${m.layers.map((l) => l.name).join(', ')}], this run has [${names}]`);
    // Check every array before changing anything.
    const grads = this.layers.filter((l) => arrays[`${l.name}.stashedGrad`]);
    for (const l of this.layers) {
      for (const k of ['online', 'target', ...(l.emaOnline ? ['emaOnline'] : []), ...(l.emaTarget ? ['emaTarget'] : [])]) expectArray(arrays, `${l.name}.${k}`, l.shape);
      if (grads.length) expectArray(arrays, `${l.name}.stashedGrad`, l.shape);
    }
    this.layers.forEach((l, i) => {
      const keep = (k: string) => Uint8Array.from(arrays[`${l.name}.${k}`].data, (x) => (x !== 0 ? 1 : 0));
      tf.dispose([l.tOnline, l.tTarget, l.tUpdate]);
      Object.assign(l, m.layers[i], { online: keep('online'), target: keep('target') });
      l.tOnline = toTensor(l.online, l.shape);
      l.tTarget = toTensor(l.target, l.shape);
      l.tUpdate = this.updateTensor(l.online, l.target, l.shape);
      tf.tidy(() => {
        if (l.emaOnline) l.emaOnline.assign(stateTensor(arrays[`${l.name}.emaOnline`]));
        if (l.emaTarget) l.emaTarget.assign(stateTensor(arrays[`${l.name}.emaTarget`]));
      });
    });
    tf.dispose(this.stashedGrads ?? {});
    this.stashedGrads = grads.length ? Object.fromEntries(this.layers.map((l) => [l.name, stateTensor(arrays[`${l.name}.stashedGrad`])])) : null;
    this.lastUpdate = m.lastUpdate;
    this.stepsDone = m.stepsDone;
    this.prepared = m.prepared;
  }

  dispose(): void {
    this.densityCache?.tensor.dispose();
    this.densityCache = null;
    for (const l of this.layers) {
      tf.dispose([l.tOnline, l.tTarget, l.tUpdate]);
      l.emaOnline?.dispose();
      l.emaTarget?.dispose();
    }
    tf.dispose([...Object.values(this.stashedGrads ?? {}), ...Object.values(this.pendingResets ?? {})]);
    this.stashedGrads = null;
    this.pendingResets = null;
  }
}

// The host copy goes with the tensor: the WebGPU sparse kernels read the layout from it (no readback).
function toTensor(keep: Uint8Array, shape: readonly number[]): tf.Tensor {
  return rememberMaskValues(tf.tensor(Float32Array.from(keep), shape.slice(), 'float32'), keep);
}

function dense(shape: Shape4): Uint8Array {
  return new Uint8Array(shape[0] * shape[1] * shape[2] * shape[3]).fill(1);
}

function union(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] | b[i];
  return out;
}

/**
 * Entries whose weights come back at an update, or null if none: those the optimizer's
 * update mask gains (revived) and those regrowth grew (at 0, even where magnitude pruning
 * had just dropped them).
 */
function enteredUpdate(byol: boolean, before: MaskPair, after: MaskPair, grown?: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(after.online.length);
  let any = 0;
  for (let i = 0; i < out.length; i++) {
    const was = byol ? before.online[i] : before.online[i] | before.target[i];
    const is = byol ? after.online[i] : after.online[i] | after.target[i];
    out[i] = (is & (was ^ 1)) | (grown ? grown[i] : 0);
    any |= out[i];
  }
  return any ? out : null;
}
