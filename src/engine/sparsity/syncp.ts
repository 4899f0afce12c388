// SyncCP — synchronized contrastive pruning, as a StepPlugin (DESIGN.md "SyncCP").
//
// What it computes:
// - Two 0/1 weight masks per prunable conv, one per branch role: 'online' (sparser) and
//   'target' (denser by the gap g). Both are recomputed at the SAME update steps of the
//   cubic schedule (config.syncp.schedule, in fractions of the run).
// - Scores S = |W_online| (or its EMA, S ← μS + (1−μ)|W| after every step). With
//   `scores: shared` both masks rank the same S, so online ⊆ target by construction;
//   with `per-branch` the BYOL target ranks |W_target| (or its EMA) and nestedness is
//   only measured. SimCLR's branches share W, so per-branch equals shared there.
// - Granularities: unstructured (layer budget uniform / ERK, or one global ranking),
//   channel (whole output channels by the L1/L2 norm of S over the filter; 'global'
//   budget falls back to uniform) and N:M (N kept of every M consecutive input channels;
//   the fraction p(t) of N:M groups ramps 0 → 1 on the cubic schedule, the target uses
//   max(0, p − g); `density` is not used for N:M).
// - The trainer multiplies each conv by masks(role); updateMask() keeps masked entries
//   out of the optimizer step and weight decay (BYOL: the online mask; SimCLR: the union
//   of both branches' masks, since both branches train the same W).
// - Optional GraNet regrowth (unstructured, online): at an update, after the magnitude
//   masks are set, drop round(r·nnz) smallest-|W| kept weights and regrow as many at the
//   largest |∂L/∂(W⊙M)| among positions that were pruned BEFORE the drop (so dropped and
//   regrown sets are disjoint and the kept count is exactly unchanged); regrown weights
//   are set to 0; r = cosine decay from `rate` to 0 over the schedule window. The
//   gradient comes from the step before the update (afterStep), read at the update.
// - Masks are ranked on the CPU with exact ties (selectTopK), at update steps only. The
//   readback is async in prepareStep (works on WebGPU); beforeStep falls back to a
//   synchronous read if prepareStep was not called. Per-step metrics are tensors carried
//   by the trainer's one packed readback.
import * as tf from '@tensorflow/tfjs';
import type { SyncCPConfig } from '../config';
import type { BranchRole, ExportedMask, PanelView, PluginContext, PluginState, StepCheckpoint, StepHelpers, StepPlugin } from '../plugin';
import { expectArray, toTensor as stateTensor, type StateArray } from '../state/stateArray';
import { heatmapPair, type LayerMasks, type MaskHeatmap, type SyncCPHistoryEntry } from '../viz/maskPanel';
export type { MaskHeatmap, SyncCPHistoryEntry } from '../viz/maskPanel';
import { prunableConvs } from '../nn/resnet';
import { layerDensities } from './budget';
import { expandChannelKeep, globalTopKArrays, keptCount, nmKeepArrays, selectTopK } from './masks';
import { regrow } from './regrowth';
import { cosineDecay, isUpdateStep, type UpdateWindow } from './schedule';
import { nmDensity, scheduleOf, type SyncCPPlan } from './scheduleOf';

type Shape4 = [number, number, number, number];
type Values = ArrayLike<number>;

export interface BranchPair {
  online: number;
  target: number;
}

/** One prunable conv in a snapshot. Densities are fractions of the kernel's weights kept. */
export interface SyncCPLayerSnapshot {
  name: string;
  /** tfjs kernel shape [kh, kw, C_in, C_out]. */
  shape: Shape4;
  /** Density the schedule and layer budget ask for at the last update. */
  planned: BranchPair;
  /** Density of the masks in use (ones / size). */
  actual: BranchPair;
  /** Fraction of the online mask's ones that the target mask also keeps (1 = nested). */
  nested: number;
  /** |online ∩ target| / |online ∪ target|. */
  iou: number;
  /** Entries whose mask value changed at the last update (churn), per branch. */
  flips: BranchPair;
  /** N:M only: fraction of full groups with exactly N kept, measured; null otherwise. */
  nmFraction: BranchPair | null;
}

export interface SyncCPSnapshot {
  kind: 'syncp';
  /** Steps completed by the trainer when the snapshot was taken. */
  step: number;
  /** Step of the last mask update, null before the first. */
  lastUpdateStep: number | null;
  granularity: SyncCPConfig['granularity'];
  scores: SyncCPConfig['scores'];
  layerBudget: SyncCPConfig['layerBudget'];
  gap: number;
  n: number;
  m: number;
  layers: SyncCPLayerSnapshot[];
  /**
   * The planned schedule as a step function for the preview: value from steps[i] until
   * steps[i+1]. quantity 'density' (whole-network online/target density before layer
   * budgets) or 'nmFraction' (fraction of N:M groups p and p − g).
   */
  schedule: {
    quantity: 'density' | 'nmFraction';
    totalSteps: number;
    window: UpdateWindow;
    steps: number[];
    online: number[];
    target: number[];
  };
  /** The layer shown in detail (chosen by the page: PanelView.selectedLayer), its masks; history filled by the worker. */
  selected: {
    name: string;
    masks: MaskHeatmap;
    /** The last HISTORY_LENGTH updates of this layer, oldest first (for a slider). */
    history: SyncCPHistoryEntry[];
  };
}

interface LayerState {
  name: string;
  shape: Shape4;
  size: number;
  online: Uint8Array;
  target: Uint8Array;
  tOnline: tf.Tensor;
  tTarget: tf.Tensor;
  /** SimCLR: union of both masks (what the shared W may be updated at); BYOL: null. */
  tUnion: tf.Tensor | null;
  /** The optimizer's update mask as bool (SimCLR: the union; BYOL: the online mask). */
  tUpdate: tf.Tensor;
  planned: BranchPair;
  flips: BranchPair;
  nested: number;
  iou: number;
  nmFraction: BranchPair | null;
  emaOnline?: tf.Variable;
  emaTarget?: tf.Variable;
}

function ones(a: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function diffCount(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) s++;
  return s;
}

/** Fraction of full groups of m input channels with exactly n ones (tail ignored). */
export function nmGroupFraction(keep: Uint8Array, shape: readonly number[], n: number, m: number): number {
  const [kh, kw, cIn, cOut] = shape;
  const G = Math.floor(cIn / m);
  let groups = 0;
  let exact = 0;
  for (let r = 0; r < kh * kw; r++) {
    for (let g = 0; g < G; g++) {
      for (let o = 0; o < cOut; o++) {
        const base = r * cIn * cOut + g * m * cOut + o;
        let k = 0;
        for (let j = 0; j < m; j++) k += keep[base + j * cOut];
        groups++;
        if (k === n) exact++;
      }
    }
  }
  return groups === 0 ? 0 : exact / groups;
}

function nestAround(online: Uint8Array, scores: Values, count: number): Uint8Array {
  const v = new Float64Array(online.length);
  for (let i = 0; i < v.length; i++) v[i] = online[i] ? Infinity : scores[i];
  return selectTopK(v, Math.max(count, ones(online)));
}

function toTensor(keep: Uint8Array, shape: readonly number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(keep), shape.slice(), 'float32');
}

export class SyncCPPlugin implements StepPlugin {
  readonly name = 'syncp';
  readonly cfg: SyncCPConfig;
  readonly window: UpdateWindow;
  private readonly plan: SyncCPPlan;
  private readonly ctx: PluginContext;
  private readonly byol: boolean;
  private readonly layers: LayerState[];
  private readonly byName = new Map<string, LayerState>();
  private lastUpdate: number | null = null;
  private stepsDone = 0;
  private prepared = -1;
  private stashedGrads: Record<string, tf.Tensor> | null = null;
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
    const convs = prunableConvs(ctx.spec.encoder);
    if (convs.length === 0) throw new Error('SyncCPPlugin: the network has no prunable convolution');
    this.layers = convs.map((c) => {
      const shape: Shape4 = [c.kh, c.kw, c.cin, c.cout];
      const size = shape.reduce((a, b) => a * b, 1);
      const all = new Uint8Array(size).fill(1);
      const layer: LayerState = {
        name: c.name,
        shape,
        size,
        online: all,
        target: all.slice(),
        tOnline: tf.ones(shape),
        tTarget: tf.ones(shape),
        tUnion: this.byol ? null : tf.ones(shape),
        tUpdate: tf.ones(shape, 'bool'),
        planned: { online: 1, target: 1 },
        flips: { online: 0, target: 0 },
        nested: 1,
        iou: 1,
        nmFraction: this.cfg.granularity === 'nm' ? { online: 0, target: 0 } : null,
      };
      if (this.cfg.scoreEma > 0) {
        layer.emaOnline = tf.tidy(() => tf.variable(tf.abs(ctx.online.vars[c.name]), false)); // tidy: |W| is a tensor of its own
        if (this.perBranchTarget()) layer.emaTarget = tf.tidy(() => tf.variable(tf.abs(ctx.target!.vars[c.name]), false));
      }
      this.byName.set(c.name, layer);
      return layer;
    });
  }

  /** True when the target ranks its own weights (per-branch scores in BYOL). */
  private perBranchTarget(): boolean {
    return this.cfg.scores === 'per-branch' && this.byol && !!this.ctx.target;
  }

  // ---------------------------------------------------------------- schedule

  /** Online schedule value at `step`: density (unstructured/channel) or N:M group fraction p. */
  scheduleValue(step: number): BranchPair {
    return this.plan.at(step);
  }

  /** Planned per-layer densities (fraction of weights kept) at `step`. */
  plannedDensities(step: number): BranchPair[] {
    const v = this.scheduleValue(step);
    const shapes = this.layers.map((l) => l.shape);
    if (this.cfg.granularity === 'nm') {
      return this.layers.map((l) => ({
        online: nmDensity(l.shape, this.cfg.n, this.cfg.m, v.online),
        target: nmDensity(l.shape, this.cfg.n, this.cfg.m, v.target),
      }));
    }
    // Channel has no global ranking (norms of different layers are not comparable): uniform.
    const mode = this.cfg.granularity === 'channel' && this.cfg.layerBudget === 'global' ? 'uniform' : this.cfg.layerBudget;
    const on = layerDensities(mode, shapes, v.online);
    const tg = layerDensities(mode, shapes, v.target);
    return on.map((d, i) => ({ online: d, target: Math.max(d, tg[i]) }));
  }

  private regrowthRate(step: number): number {
    const r = this.cfg.regrowth;
    if (!r.enabled || this.cfg.granularity !== 'unstructured') return 0;
    return cosineDecay(step, { from: r.rate, to: 0, start: this.window.start, end: this.window.end });
  }

  // ---------------------------------------------------------------- the update

  /** Tensors to read back for the update at `step` (caller disposes). */
  private gather(): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      const channel = this.cfg.granularity === 'channel';
      const reduce = (s: tf.Tensor) => (!channel ? s : tf.sum(this.cfg.channelNorm === 'l1' ? s : tf.square(s), [0, 1, 2]));
      for (const l of this.layers) {
        const wOn = this.ctx.online.vars[l.name];
        const sOn = l.emaOnline ? l.emaOnline.clone() : tf.abs(wOn);
        out[`${l.name}|so`] = reduce(sOn);
        if (this.perBranchTarget()) {
          const sT = l.emaTarget ? l.emaTarget.clone() : tf.abs(this.ctx.target!.vars[l.name]);
          out[`${l.name}|st`] = reduce(sT);
        }
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
    const planned = this.plannedDensities(step);
    const v = this.scheduleValue(step);
    const { n, m } = this.cfg;
    const perBranch = this.perBranchTarget();
    const so = (l: LayerState) => data[`${l.name}|so`];
    const st = (l: LayerState) => (perBranch ? data[`${l.name}|st`] : so(l));
    let next: { online: Uint8Array; target: Uint8Array }[];

    if (this.cfg.granularity === 'nm') {
      next = this.layers.map((l) => {
        if (!perBranch) {
          const [a, b] = nmKeepArrays(so(l), l.shape, n, m, [v.online, v.target]);
          return { online: a, target: b };
        }
        return { online: nmKeepArrays(so(l), l.shape, n, m, [v.online])[0], target: nmKeepArrays(st(l), l.shape, n, m, [v.target])[0] };
      });
    } else if (this.cfg.granularity === 'channel') {
      next = this.layers.map((l, i) => {
        const cOut = l.shape[3];
        return {
          online: expandChannelKeep(selectTopK(so(l), keptCount(planned[i].online, cOut)), l.size),
          target: expandChannelKeep(selectTopK(st(l), keptCount(planned[i].target, cOut)), l.size),
        };
      });
    } else if (this.cfg.layerBudget === 'global') {
      const on = globalTopKArrays(this.layers.map(so), v.online);
      const tg = globalTopKArrays(this.layers.map(st), v.target);
      next = on.map((a, i) => ({ online: a, target: tg[i] }));
    } else {
      next = this.layers.map((l, i) => ({
        online: selectTopK(so(l), keptCount(planned[i].online, l.size)),
        target: selectTopK(st(l), keptCount(planned[i].target, l.size)),
      }));
    }

    // GraNet regrowth on the online masks (unstructured only; gradients stashed in afterStep).
    const rate = this.regrowthRate(step);
    const regrown = new Map<string, Uint8Array>();
    if (this.stashedGrads && rate > 0) {
      this.layers.forEach((l, i) => {
        const w = data[`${l.name}|w`];
        const g = data[`${l.name}|g`];
        if (!w || !g) return;
        const r = regrow(next[i].online, w, g, rate);
        if (!r) return;
        const out = r.mask;
        const grow = r.grown;
        next[i].online = out;
        regrown.set(l.name, grow);
        // Keep the shared-score target nested and at its planned count.
        if (!perBranch) next[i].target = nestAround(out, so(l), ones(next[i].target));
      });
    }
    if (this.stashedGrads) {
      this.retire(Object.values(this.stashedGrads));
      this.stashedGrads = null;
    }
    // Regrown weights start at 0 (and so does their EMA score).
    if (regrown.size) {
      tf.tidy(() => {
        for (const [name, grow] of regrown) {
          const l = this.byName.get(name)!;
          // where(), not W·(1−G): a negative weight times 0 would be −0.
          const regrow = tf.tensor(grow, l.shape, 'bool');
          const w = this.ctx.online.vars[name];
          w.assign(tf.where(regrow, tf.zerosLike(w), w));
          if (l.emaOnline) l.emaOnline.assign(tf.where(regrow, tf.zerosLike(l.emaOnline), l.emaOnline));
        }
      });
    }

    this.layers.forEach((l, i) => {
      const { online, target } = next[i];
      l.flips = { online: diffCount(l.online, online), target: diffCount(l.target, target) };
      l.online = online;
      l.target = target;
      l.planned = planned[i];
      let both = 0;
      let either = 0;
      let on = 0;
      for (let j = 0; j < l.size; j++) {
        on += online[j];
        both += online[j] & target[j];
        either += online[j] | target[j];
      }
      l.nested = on === 0 ? 1 : both / on;
      l.iou = either === 0 ? 1 : both / either;
      l.nmFraction = this.cfg.granularity === 'nm' ? { online: nmGroupFraction(online, l.shape, n, m), target: nmGroupFraction(target, l.shape, n, m) } : null;
      this.retire([l.tOnline, l.tTarget, l.tUpdate, ...(l.tUnion ? [l.tUnion] : [])]);
      l.tOnline = toTensor(online, l.shape);
      l.tTarget = toTensor(target, l.shape);
      if (l.tUnion) l.tUnion = tf.tidy(() => tf.maximum(l.tOnline, l.tTarget));
      l.tUpdate = tf.tidy(() => tf.notEqual(l.tUnion ?? l.tOnline, 0));
    });
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
    const layers = this.layers.map((l) => ({ ...l }));
    const saved = { lastUpdate: this.lastUpdate, prepared: this.prepared, stashedGrads: this.stashedGrads };
    // Regrowth writes zeros into W and its EMA score: keep copies of both.
    const regrowth = this.stashedGrads !== null && this.regrowthRate(step) > 0;
    const weights = regrowth ? this.layers.map((l) => ({ w: tf.clone(this.ctx.online.vars[l.name]), ema: l.emaOnline ? tf.clone(l.emaOnline) : null })) : [];
    this.retired = [];
    return {
      release: () => {
        tf.dispose(this.retired ?? []);
        this.retired = null;
        for (const c of weights) tf.dispose(c.ema ? [c.w, c.ema] : [c.w]);
      },
      restore: () => {
        this.layers.forEach((l, i) => {
          const old = layers[i];
          const made = [l.tOnline, l.tTarget, l.tUnion, l.tUpdate].filter(
            (t): t is tf.Tensor => t !== null && t !== old.tOnline && t !== old.tTarget && t !== old.tUnion && t !== old.tUpdate,
          );
          tf.dispose(made);
          Object.assign(l, old);
          const c = weights[i];
          if (c) {
            this.ctx.online.vars[l.name].assign(c.w);
            if (c.ema && l.emaOnline) l.emaOnline.assign(c.ema);
            tf.dispose(c.ema ? [c.w, c.ema] : [c.w]);
          }
        });
        // The update consumed the stashed gradients: they are in `retired` and come back from it.
        this.retired = null;
        this.lastUpdate = saved.lastUpdate;
        this.prepared = saved.prepared;
        this.stashedGrads = saved.stashedGrads;
      },
    };
  }

  // ---------------------------------------------------------------- StepPlugin

  masks(role: BranchRole): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const l of this.layers) out[l.name] = role === 'online' ? l.tOnline : l.tTarget;
    return out;
  }

  updateMask(name: string): tf.Tensor | undefined {
    return this.byName.get(name)?.tUpdate;
  }

  afterStep(step: number, _grads: Record<string, tf.Tensor>, helpers: StepHelpers): void {
    this.stepsDone = step + 1;
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
  updateSummary(): { step: number | null; layers: { name: string; flips: BranchPair; nested: number; iou: number; nmFraction: BranchPair | null }[] } {
    return {
      step: this.lastUpdate,
      layers: this.layers.map((l) => ({ name: l.name, flips: { ...l.flips }, nested: l.nested, iou: l.iou, nmFraction: l.nmFraction ? { ...l.nmFraction } : null })),
    };
  }

  /** The planned schedule as a step function (at most ~256 points). */
  private schedulePreview(): SyncCPSnapshot['schedule'] {
    const w = this.window;
    const T = this.ctx.totalSteps;
    const points = [0];
    const updates = Math.floor((w.end - w.start) / w.every) + 1;
    const stride = Math.max(1, Math.ceil(updates / 256));
    for (let i = 0; i < updates; i += stride) points.push(w.start + i * w.every);
    points.push(w.end);
    const steps = [...new Set(points)].filter((s) => s <= T).sort((a, b) => a - b);
    const vals = steps.map((s) => this.scheduleValue(s));
    return {
      quantity: this.cfg.granularity === 'nm' ? 'nmFraction' : 'density',
      totalSteps: T,
      window: { ...w },
      steps,
      online: vals.map((x) => x.online),
      target: vals.map((x) => x.target),
    };
  }

  /** Structured-cloneable state for the SyncCP panel; no readback (masks live on the CPU too). */
  async snapshot(view: PanelView = {}): Promise<SyncCPSnapshot> {
    const sel = (view.selectedLayer && this.byName.get(view.selectedLayer)) || this.layers[0];
    return {
      kind: 'syncp',
      step: this.stepsDone,
      lastUpdateStep: this.lastUpdate,
      granularity: this.cfg.granularity,
      scores: this.cfg.scores,
      layerBudget: this.cfg.layerBudget,
      gap: this.cfg.gap,
      n: this.cfg.n,
      m: this.cfg.m,
      layers: this.layers.map((l) => ({
        name: l.name,
        shape: [...l.shape] as Shape4,
        planned: { ...l.planned },
        actual: { online: ones(l.online) / l.size, target: ones(l.target) / l.size },
        nested: l.nested,
        iou: l.iou,
        flips: { ...l.flips },
        nmFraction: l.nmFraction ? { ...l.nmFraction } : null,
      })),
      schedule: this.schedulePreview(),
      selected: {
        name: sel.name,
        masks: heatmapPair(sel.online, sel.target, sel.shape),
        // The worker adds the history of the layer it shows (UI state stays out of the engine).
        history: [],
      },
    };
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
    const m = meta as { lastUpdate: number | null; stepsDone: number; prepared: number; layers: Pick<LayerState, 'name' | 'planned' | 'flips' | 'nested' | 'iou' | 'nmFraction'>[] };
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
      tf.dispose([l.tOnline, l.tTarget, l.tUpdate, ...(l.tUnion ? [l.tUnion] : [])]);
      Object.assign(l, m.layers[i], { online: keep('online'), target: keep('target') });
      l.tOnline = toTensor(l.online, l.shape);
      l.tTarget = toTensor(l.target, l.shape);
      if (l.tUnion) l.tUnion = tf.tidy(() => tf.maximum(l.tOnline, l.tTarget));
      l.tUpdate = tf.tidy(() => tf.notEqual(l.tUnion ?? l.tOnline, 0));
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
      l.tUnion?.dispose();
      l.emaOnline?.dispose();
      l.emaTarget?.dispose();
    }
    if (this.stashedGrads) tf.dispose(this.stashedGrads);
    this.stashedGrads = null;
  }
}
