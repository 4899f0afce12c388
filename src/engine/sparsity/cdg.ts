// CDG — contrastive dual gating (DESIGN.md "CDG"): dynamic activation sparsity inside
// every prunable (non-stem) conv, for all branches of a step at once. The gate and the
// gated conv (base path, saliency, dual gate, gradients, per-backend kernels) are in
// sparsity/cdgGate.ts; this is the plugin: it gates training forwards with the joint
// quantile, evaluation forwards with a fixed Δ per layer (an EMA of the training Δ:
// features must not depend on the other images of a batch), and the panel's probe.
// The target density d follows the cubic schedule from 1 (dense) to config.cdg.density.
// Gate densities are read back with the loss (metric `cdg.gate.<conv>`: [branches]).
import * as tf from '@tensorflow/tfjs';
import { NO_DELTA } from '../kernels/gatedConvResult';
import type { CDGConfig } from '../config';
import { BRANCH_ROLES, maskSlot, type BranchInfo, type PluginContext, type PluginState, type StepPlugin } from '../plugin';
import { z } from 'zod';
import type { PluginRowFields } from '../runFile';
import { forwardResNet, prunableConvs, type Branch, type ConvHook, type ConvLayerSpec } from '../nn/resnet';
import { stepFlops } from '../stepFlops';
import { sslMethod } from '../ssl/registry';
import { gatedConv, hostBackend, type Saliency } from './cdgGate';
import { baseChannels } from './flops';
import { scheduleOf, type CDGPlan } from './scheduleOf';

/** The last read-back gate densities of a saved state, by layer, checked. */
const SavedGatesSchema = z.record(z.string(), z.object({ online: z.number().min(0).max(1), target: z.number().min(0).max(1) }));
/** A saved branch (BranchInfo), checked. */
const SavedBranchSchema = z.object({ role: z.enum(BRANCH_ROLES), view: z.union([z.literal(0), z.literal(1)]), trained: z.boolean().optional() });

/** One prunable conv in the CDG panel. */
export type CDGLayerSnapshot = {
  name: string;
  cin: number;
  cout: number;
  beta: number;
  /** ⌈β·C_in⌉ input channels always computed. */
  baseChannels: number;
  /** Scheduled target density of the conditional path (both branches together). */
  targetDensity: number;
  /**
   * Measured gate density of the conditional path on the last read-back training step.
   * SimCLR: `online` = branch 1 (view 1), `target` = branch 2 (view 2), same weights.
   * BYOL: online network over its two views, target network over its two views.
   */
  gateDensity: { online: number; target: number };
  /**
   * Training FLOPs of this conv in one step, all branches (DESIGN.md "FLOPs"): `effective`
   * with SyncCP's weight densities beside CDG; `skipped` is what the closed gates save
   * against the same network with every gate open (not dense − effective).
   */
  flops: { dense: number; effective: number; skipped: number };
  /** Spatial gate map of the probe pair: H×W per view, fraction of open units per location (0/1 for 'spatial'). */
  probe?: { h: number; w: number; gates: [Float32Array, Float32Array] };
};

export type CDGSnapshot = {
  kind: 'cdg';
  step: number;
  saliency: Saliency;
  threshold: 'quantile' | 'learned';
  /** Which gate gradient trains (and so which training FLOPs are counted). */
  gateGradient: 'ste' | 'detached';
  /** Δ per layer that evaluation forwards use (EMA of the training Δ; learned: Δ itself); absent before any. */
  evalThreshold: Record<string, number>;
  targetDensity: number;
  layers: CDGLayerSnapshot[];
  /** Totals over the gated convs (training FLOPs of one step, all branches). */
  flops: { dense: number; effective: number; skipped: number };
  /**
   * The fixed probe image (train index 0, fixed augmentation seed): its two augmented
   * views as RGBA bytes, size×size, gated jointly through the online network in
   * evaluation mode. Absent when the trainer provides no probe.
   */
  probe?: { size: number; views: [Uint8Array, Uint8Array] };
};

const METRIC = 'cdg.gate.';
const DELTA_METRIC = 'cdg.delta.';
/**
 * Momentum of the per-layer EMA of the training Δ that gates evaluation forwards: about the
 * last 10 steps, so it follows the density schedule closely yet no single batch sets it.
 */
export const EVAL_DELTA_MOMENTUM = 0.9;

/** How a forward is gated: training (joint quantile), evaluation (fixed Δ per layer), panel probe (joint quantile over the pair). */
type HookMode = 'train' | 'eval' | 'probe';
/** tfjs variable names must be unique while alive; several trainers may coexist. */
let nextId = 0;

export class CDGPlugin implements StepPlugin {
  readonly name = 'cdg';
  private readonly cfg: CDGConfig;
  private readonly layers: ConvLayerSpec[];
  private readonly plan: CDGPlan;
  private readonly deltas: Record<string, tf.Variable> = {};
  /** Quantile threshold: EMA of the finite training Δ per layer (host numbers), for evaluation. */
  private readonly evalDelta = new Map<string, number>();
  /** Training Δ per layer of the last forward (owned until metrics()). */
  private pendingDelta = new Map<string, tf.Tensor>();
  /** The Δs last folded into evalDelta, as a key of their values (saved with it). */
  private absorbed: string | undefined;
  /** Layers whose last training step opened no gate (density 0): evaluation keeps them closed too (saved). */
  private readonly noneOpen = new Set<string>();
  /** Per-layer gate densities [branches] of the last training forward (kept, owned until metrics()). */
  private pending = new Map<string, tf.Tensor>();
  private penalties: tf.Scalar[] = [];
  private infos: BranchInfo[] = [];
  private step = 0;
  private last?: Record<string, { online: number; target: number }>;

  constructor(private readonly ctx: PluginContext) {
    if (!ctx.config.cdg) throw new Error('CDGPlugin: config.cdg is not set');
    this.cfg = ctx.config.cdg;
    this.layers = prunableConvs(ctx.spec.encoder);
    this.plan = scheduleOf(ctx.config).cdg!;
    if (this.cfg.threshold === 'learned') {
      // Δ starts at 0 (normalised saliency has mean 1, so nearly everything is open: dense start).
      for (const l of this.layers) this.deltas[l.name] = tf.tidy(() => tf.variable(tf.scalar(0), true, `cdg.${l.name}.delta.${nextId++}`)); // tidy: the initial scalar is a tensor of its own
    }
  }

  /**
   * The gate-gradient mode the FLOPs count for the step at `step`. A quantile gate that keeps
   * no location (target density 0) passes no gradient (cdgGate.ts: Δ = ∞, surrogate 0), so
   * nothing needs the conditional output at closed locations: with 'ste' too, the ideal
   * kernel computes it nowhere, as with 'detached'.
   */
  countedGradient(step: number): 'ste' | 'detached' {
    return this.cfg.threshold === 'quantile' && this.targetDensity(step) === 0 ? 'detached' : this.cfg.gateGradient;
  }

  /** Target density of the conditional path at `step`: cubic from 1 to config density. */
  targetDensity(step: number): number {
    return this.plan.at(step);
  }

  beforeStep(step: number): void {
    this.step = step;
  }

  private disposePending(): void {
    for (const t of this.pending.values()) t.dispose();
    this.pending.clear();
    for (const t of this.pendingDelta.values()) t.dispose();
    this.pendingDelta.clear();
  }

  /**
   * Δ of an evaluation forward: the learned Δ, or the EMA of the training quantile's Δ;
   * before any training step has a finite Δ (dense start) every gate is open, as in training.
   * A learned Δ is read as a number on the host backends (free there), so evaluation takes the
   * one forward-only host op as the quantile's does, not the tf-op path; a GPU keeps the tensor
   * (a read would stall it).
   */
  evalThreshold(layer: string): number | tf.Tensor {
    if (this.cfg.threshold === 'learned') return hostBackend() ? this.deltas[layer].dataSync()[0] : this.deltas[layer];
    // Training computes no conditional path there: neither does evaluation (every gate open
    // would add a path training never used, its weights untrained).
    if (this.noneOpen.has(layer)) return Infinity;
    return this.evalDelta.get(layer) ?? -Infinity;
  }

  /**
   * Folds a step's read-back training Δs into the evaluation EMA, once per read-back: report
   * and gateDensity both see each step's metrics, and the same read-back comes again as a
   * copy (a restored run's replay) or after a step that diverged (the last good step's, whose
   * Δs are in the average already). Keyed by the Δ values, which a copy keeps and a new step
   * changes; not by the step, which a diverged step advanced without a read-back.
   */
  private absorb(metrics: Record<string, Float32Array>): void {
    if (!this.layers.some((l) => metrics[DELTA_METRIC + l.name])) return;
    const key = this.layers.map((l) => metrics[DELTA_METRIC + l.name]?.[0] ?? '').join(',');
    if (key === this.absorbed) return;
    this.absorbed = key;
    for (const l of this.layers) {
      const d = metrics[DELTA_METRIC + l.name]?.[0];
      if (d === undefined) continue;
      // All open (−∞, the dense start) or none open (+∞): no boundary to average; none open is kept.
      if (!Number.isFinite(d) || Math.abs(d) >= NO_DELTA) {
        if (d > 0) this.noneOpen.add(l.name);
        else this.noneOpen.delete(l.name);
        continue;
      }
      this.noneOpen.delete(l.name);
      const prev = this.evalDelta.get(l.name);
      this.evalDelta.set(l.name, prev === undefined ? d : EVAL_DELTA_MOMENTUM * prev + (1 - EVAL_DELTA_MOMENTUM) * d);
    }
  }

  private makeHook(mode: HookMode, step: number, capture?: Map<string, tf.Tensor[]>): ConvHook {
    const density = this.targetDensity(step);
    const training = mode === 'train';
    // Once per forward, not per conv: BYOL's target is never trained (its Y_c is needed at open units only).
    const forwardOnly = training ? this.infos.map((i) => i.trained === false) : undefined;
    return (layer, xs, ws) => {
      const r = gatedConv(xs, ws, {
        beta: this.cfg.beta,
        density,
        threshold: mode === 'eval' ? this.evalThreshold(layer.name) : this.cfg.threshold === 'learned' ? this.deltas[layer.name] : undefined,
        alpha: this.cfg.alpha,
        gateGradient: this.cfg.gateGradient,
        saliency: this.cfg.saliency,
        groups: this.cfg.groups,
        stride: layer.stride,
        skipClosed: this.ctx.config.kernels.sparse !== 'off',
        forwardOnly,
      });
      if (training) {
        this.pending.get(layer.name)?.dispose();
        this.pending.set(layer.name, tf.keep(r.branchDensity));
        if (this.cfg.threshold === 'quantile') {
          this.pendingDelta.get(layer.name)?.dispose();
          this.pendingDelta.set(layer.name, tf.keep(r.delta));
        }
        if (this.cfg.threshold === 'learned') this.penalties.push(tf.square(tf.sub(r.density, density)) as tf.Scalar);
      }
      if (capture) capture.set(layer.name, r.gates.map((g) => tf.keep(r.groups === 1 ? tf.squeeze(g, [3]) : tf.mean(g, 3))));
      return r.ys;
    };
  }

  convHook(branches: BranchInfo[], training: boolean, step: number): ConvHook {
    if (training) {
      // A new training forward: drop gate densities nobody read (e.g. an extra forward for effective gradients).
      this.disposePending();
      this.penalties = [];
      this.infos = branches;
      this.step = step;
    }
    return this.makeHook(training ? 'train' : 'eval', step);
  }

  extraLoss(): tf.Scalar | undefined {
    if (this.cfg.threshold !== 'learned' || this.penalties.length === 0) return undefined;
    const p = tf.mul(tf.addN(this.penalties), this.cfg.penalty) as tf.Scalar;
    this.penalties = [];
    return p;
  }

  variables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(this.deltas)) out[`cdg.${name}.delta`] = v;
    return out;
  }

  metrics(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, t] of this.pending) out[METRIC + name] = t;
    for (const [name, t] of this.pendingDelta) out[DELTA_METRIC + name] = t;
    this.pending = new Map(); // handed to the trainer, which disposes them
    this.pendingDelta = new Map();
    return out;
  }

  /** Per layer, densities pooled by role (BYOL: over both views of each network). */
  private densities(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number }> | undefined {
    const out: Record<string, { online: number; target: number }> = {};
    let any = false;
    for (const l of this.layers) {
      const m = metrics[METRIC + l.name];
      if (!m || m.length !== this.infos.length) continue;
      const acc = { online: [0, 0], target: [0, 0] };
      this.infos.forEach((info, i) => {
        acc[maskSlot(info.role)][0] += m[i];
        acc[maskSlot(info.role)][1] += 1;
      });
      const mean = (a: number[]) => (a[1] > 0 ? a[0] / a[1] : NaN);
      out[l.name] = { online: mean(acc.online), target: mean(acc.target) };
      any = true;
    }
    if (any) this.last = out;
    return any ? out : undefined;
  }

  report(metrics: Record<string, Float32Array>): PluginRowFields {
    this.absorb(metrics);
    const d = this.densities(metrics);
    return d ? { gateDensity: d, gateTarget: this.targetDensity(this.step) } : {};
  }

  gateDensity(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number; beta: number; gradient: 'ste' | 'detached' }> {
    this.absorb(metrics);
    const d = this.densities(metrics);
    const target = this.targetDensity(this.step);
    const out: Record<string, { online: number; target: number; beta: number; gradient: 'ste' | 'detached' }> = {};
    for (const l of this.layers) {
      // Without a read-back (e.g. flops() before any step) count the scheduled density.
      const v = d?.[l.name] ?? { online: target, target };
      out[l.name] = { online: v.online, target: v.target, beta: this.cfg.beta, gradient: this.countedGradient(this.step) };
    }
    return out;
  }

  async snapshot(): Promise<CDGSnapshot> {
    const step = this.step;
    const target = this.targetDensity(step);
    const gates = this.last ?? Object.fromEntries(this.layers.map((l) => [l.name, { online: target, target }]));
    const cfg = this.ctx.config;
    const count = (open: (name: string) => { online: number; target: number }) =>
      stepFlops(
        this.ctx.spec,
        this.infos.length ? this.infos : sslMethod(cfg.ssl.method).branches(),
        cfg.ssl.method,
        this.ctx.stepBatch,
        // Beside SyncCP, with its weight densities: the network that trains, as the step's FLOPs count it.
        { ...this.ctx.weightDensities?.(), gate: Object.fromEntries(this.layers.map((l) => [l.name, { ...open(l.name), beta: this.cfg.beta, gradient: this.countedGradient(step) }])) },
      );
    const flops = count((name) => gates[name]);
    // What the gates skipped: against the same network with every gate open, so SyncCP's pruned weights are not counted as the gates' saving.
    const allOpen = new Map(count(() => ({ online: 1, target: 1 })).layers.map((l) => [l.name, l.effective]));
    const layerFlops = new Map(flops.layers.map((l) => [l.name, l]));
    const layers: CDGLayerSnapshot[] = this.layers.map((l) => {
      const f = layerFlops.get(l.name) ?? { dense: 0, effective: 0 };
      const skipped = (allOpen.get(l.name) ?? f.effective) - f.effective;
      return {
        name: l.name,
        cin: l.cin,
        cout: l.cout,
        beta: this.cfg.beta,
        baseChannels: baseChannels(l.cin, this.cfg.beta),
        targetDensity: target,
        gateDensity: gates[l.name],
        flops: { dense: f.dense, effective: f.effective, skipped },
      };
    });
    const total = layers.reduce((a, l) => ({ dense: a.dense + l.flops.dense, effective: a.effective + l.flops.effective, skipped: a.skipped + l.flops.skipped }), { dense: 0, effective: 0, skipped: 0 });
    const snap: CDGSnapshot = {
      kind: 'cdg',
      step,
      saliency: this.cfg.saliency,
      threshold: this.cfg.threshold,
      gateGradient: this.cfg.gateGradient,
      evalThreshold: await this.evalThresholds(),
      targetDensity: target,
      layers,
      flops: total,
    };
    const probe = this.ctx.probe?.();
    if (!probe) return snap;
    const capture = new Map<string, tf.Tensor[]>();
    let packed: tf.Tensor | undefined;
    try {
      packed = tf.tidy(() => {
        const net = this.ctx.online;
        // With SyncCP beside it, each branch with its masks: the gates of the network that trains.
        const pm = this.ctx.probeMasks?.();
        const branches: Branch[] = [0, 1].map((i) => ({ params: net.vars, stats: net.stats, masks: pm?.masks[i] }));
        forwardResNet(this.ctx.spec.encoder, branches, probe, { training: false, convHook: this.makeHook('probe', step, capture), prunedChannels: pm?.prunedChannels });
        const rgba = probe.map((v) => {
          const rgb = v.shape[3] === 1 ? tf.tile(v, [1, 1, 1, 3]) : v;
          return tf.concat([tf.mul(tf.reshape(rgb, [-1, 3]), 255), tf.fill([v.shape[1] * v.shape[2], 1], 255)], 1).reshape([-1]);
        });
        const maps = this.layers.flatMap((l) => (capture.get(l.name) ?? []).map((m) => tf.reshape(m, [-1])));
        return tf.concat([...rgba, ...maps]);
      });
      const data = (await packed.data()) as Float32Array;
      const size = probe[0].shape[1];
      const n = size * size * 4;
      const views = [0, 1].map((i) => Uint8Array.from(data.subarray(i * n, (i + 1) * n), (x) => Math.max(0, Math.min(255, Math.round(x))))) as [Uint8Array, Uint8Array];
      let off = 2 * n;
      for (const ls of layers) {
        const spec = this.layers.find((l) => l.name === ls.name)!;
        const hw = spec.outH * spec.outW;
        const a = data.slice(off, off + hw);
        const b = data.slice(off + hw, off + 2 * hw);
        off += 2 * hw;
        ls.probe = { h: spec.outH, w: spec.outW, gates: [a, b] };
      }
      snap.probe = { size, views };
      return snap;
    } finally {
      packed?.dispose();
      tf.dispose(probe);
      for (const ts of capture.values()) tf.dispose(ts);
    }
  }

  /** Δ per layer that evaluation uses now (a learned Δ read from its variable, no dataSync). */
  private async evalThresholds(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const l of this.layers) {
      const t = this.evalThreshold(l.name);
      const v = typeof t === 'number' ? t : ((await t.data())[0] as number);
      if (Number.isFinite(v)) out[l.name] = v;
    }
    return out;
  }

  async exportState(): Promise<Record<string, unknown>> {
    const target = this.targetDensity(this.step);
    return {
      cdg: {
        beta: this.cfg.beta,
        gateGradient: this.cfg.gateGradient,
        evalThreshold: await this.evalThresholds(),
        targetDensity: target,
        layers: this.layers.map((l) => ({ name: l.name, ...(this.last?.[l.name] ?? { online: target, target }) })),
      },
    };
  }

  /**
   * The step, the last read-back gate densities (the panel's numbers) and the evaluation
   * thresholds (without them a resumed run's kNN would gate nothing until training had
   * averaged Δ anew); the learned Δ are variables(), saved by the trainer.
   */
  saveState(): PluginState {
    // The branches as loadState reads them back (the fields of BranchInfo), not the objects the trainer passed.
    const infos = this.infos.map(({ role, view, trained }) => ({ role, view, ...(trained !== undefined ? { trained } : {}) }));
    return { meta: { step: this.step, last: this.last ?? null, infos, evalDelta: Object.fromEntries(this.evalDelta), absorbed: this.absorbed ?? null, noneOpen: [...this.noneOpen] }, tensors: {} };
  }

  loadState(meta: unknown): void {
    const m = meta as { step: number; last: unknown; infos: BranchInfo[]; evalDelta?: Record<string, number>; absorbed?: string | null; noneOpen?: unknown };
    if (!m || !Number.isInteger(m.step) || m.step < 0 || !Array.isArray(m.infos)) throw new Error('saved CDG state is malformed (expected step, last and infos)');
    // The last read-back gate densities: a density for each gated layer, or none yet.
    const last = m.last == null ? undefined : SavedGatesSchema.safeParse(m.last);
    if (last && (!last.success || this.layers.some((l) => !last.data[l.name]))) {
      throw new Error(`saved CDG state is malformed (the last gate densities: expected online and target in [0, 1] for each of ${this.layers.map((l) => l.name).join(', ')})`);
    }
    // Each branch checked: a damaged file must be refused here, not fail inside a later step.
    const infos = m.infos.map((x: unknown, i): BranchInfo => {
      const b = SavedBranchSchema.safeParse(x);
      if (!b.success) throw new Error(`saved CDG state is malformed (branch ${i + 1}: expected a role of ${BRANCH_ROLES.join(', ')} and view 0 or 1)`);
      return b.data;
    });
    this.step = m.step;
    this.last = last?.data;
    this.infos = infos;
    // Absent in runs saved before it was kept: evaluation then averages Δ anew, as it did.
    this.evalDelta.clear();
    for (const [name, d] of Object.entries(m.evalDelta ?? {})) if (typeof d === 'number' && Number.isFinite(d)) this.evalDelta.set(name, d);
    // Absent in runs saved before it was kept: the replay's copy of the last read-back is then folded in once more.
    this.absorbed = typeof m.absorbed === 'string' ? m.absorbed : undefined;
    this.noneOpen.clear();
    if (Array.isArray(m.noneOpen)) for (const name of m.noneOpen) if (typeof name === 'string') this.noneOpen.add(name);
  }

  dispose(): void {
    this.disposePending();
    for (const v of Object.values(this.deltas)) v.dispose();
  }
}
