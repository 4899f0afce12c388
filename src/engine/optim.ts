// AdamW written out over explicit variables, because SyncCP needs two things the tfjs
// optimizers cannot do: an update mask per variable (a pruned entry gets no step and no
// weight decay, so it keeps its value) and resetting moments where weights regrow.
// Learning rate: linear warm-up, then cosine decay to zero.
import * as tf from '@tensorflow/tfjs';
import { adamWStepCpu } from './kernels/cpuParamUpdates';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay: number;
  /** One loop per variable instead of tf ops (kernels/cpuParamUpdates.ts); default: on the cpu backend. */
  fused?: boolean;
}

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly fused: boolean | undefined;

  constructor(opts: AdamWOptions) {
    this.fused = opts.fused;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.weightDecay = opts.weightDecay;
  }

  /**
   * One step. `updateMask(name)` returns a 0/1 tensor (or a bool one, which saves a
   * comparison a step): entries at 0 are left untouched — weight, moments and decay.
   * `noDecay(name)` exempts a variable from weight decay. `lrOf(name)`, when given, is the
   * learning rate of that variable instead of `lr` (BYOL's predictor runs at its own rate).
   */
  apply(
    vars: Record<string, tf.Variable>,
    grads: Record<string, tf.Tensor>,
    lr: number,
    updateMask: (name: string) => tf.Tensor | undefined = () => undefined,
    noDecay: (name: string) => boolean = () => false,
    lrOf: (name: string) => number = () => lr,
  ): void {
    this.t += 1;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    const fused = this.fused ?? tf.getBackend() === 'cpu';
    tf.tidy(() => {
      for (const [name, w] of Object.entries(vars)) {
        const g = grads[name];
        if (!g) continue;
        let m = this.m.get(name);
        let v = this.v.get(name);
        if (!m || !v) {
          m = tf.variable(tf.zerosLike(w), false);
          v = tf.variable(tf.zerosLike(w), false);
          this.m.set(name, m);
          this.v.set(name, v);
        }
        const mask = updateMask(name);
        if (fused) {
          const decay = this.weightDecay > 0 && !noDecay(name) ? this.weightDecay : 0;
          adamWStepCpu(w, g, m, v, mask, { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, bc1, bc2, lr: lrOf(name), decay });
          continue;
        }
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        let step = tf.div(tf.div(mNew, bc1), tf.add(tf.sqrt(tf.div(vNew, bc2)), this.epsilon));
        if (this.weightDecay > 0 && !noDecay(name)) step = tf.add(step, tf.mul(w, this.weightDecay));
        const wNew = tf.sub(w, tf.mul(step, lrOf(name)));
        if (mask) {
          // Masked entries keep weight and moments frozen: one select each, where
          // M·new + (1 − M)·old took four ops. Moments of a weight that comes back are
          // stale, so its sparsifier asks for resetMoments before the step.
          const keep = mask.dtype === 'bool' ? mask : tf.notEqual(mask, 0);
          m.assign(tf.where(keep, mNew, m));
          v.assign(tf.where(keep, vNew, v));
          w.assign(tf.where(keep, wNew, w));
        } else {
          m.assign(mNew);
          v.assign(vNew);
          w.assign(wNew);
        }
      }
    });
  }

  /** Steps taken and the moment variables by name (read-only use: checks, checkpoints). */
  state(): { t: number; m: ReadonlyMap<string, tf.Variable>; v: ReadonlyMap<string, tf.Variable> } {
    return { t: this.t, m: this.m, v: this.v };
  }

  /** Resume: step count and moments as saved (tensors copied into fresh variables; caller keeps its own). */
  loadState(t: number, m: Record<string, tf.Tensor>, v: Record<string, tf.Tensor>): void {
    if (!Number.isInteger(t) || t < 0) throw new Error(`optimizer state: step count must be a non-negative integer (got ${t})`);
    this.dispose();
    for (const [k, x] of Object.entries(m)) this.m.set(k, tf.variable(x, false));
    for (const [k, x] of Object.entries(v)) this.v.set(k, tf.variable(x, false));
    this.t = t;
  }

  /**
   * Zero the moments of `name` where `where` is nonzero (regrown or revived weights start from rest).
   * The bias correction keeps the optimizer's step count, as zeroing `exp_avg` entries does in
   * PyTorch (one step count a tensor, as the sparse-training reference code leaves it): a reset
   * entry's first steps are ~(1 − β1)/√(1 − β2) lr, not lr as for a fresh Adam.
   */
  resetMoments(name: string, where: tf.Tensor): void {
    tf.tidy(() => {
      const reset = where.dtype === 'bool' ? where : tf.notEqual(where, 0);
      for (const t of [this.m.get(name), this.v.get(name)]) if (t) t.assign(tf.where(reset, tf.zerosLike(t), t));
    });
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Steps of warm-up for a fraction of the run. The product may land just under a whole number
 * (0.29 × 100 = 28.999999999999996): without the nudge that warm-up was a step short.
 */
export function warmupSteps(warmup: number, total: number): number {
  return Math.floor(warmup * total + 1e-9);
}

/** Linear warm-up over `warmup` (fraction of the run), then cosine decay to 0. */
export function learningRate(step: number, total: number, base: number, warmup: number): number {
  const w = warmupSteps(warmup, total);
  if (step < w) return (base * (step + 1)) / w;
  const u = total - w <= 0 ? 1 : Math.min(1, (step - w) / (total - w));
  return base * 0.5 * (1 + Math.cos(Math.PI * u));
}

/**
 * The predictor's learning rate (BYOL, SimSiam): `scale` × the run's rate. 'cosine' decays
 * it with the run's; 'fixed' follows the warm-up, then stays at scale × base (SimSiam keeps
 * its predictor's rate fixed: a predictor that keeps up with the encoder is what stops the
 * two branches from collapsing).
 */
export function predictorLearningRate(step: number, total: number, base: number, warmup: number, scale: number, schedule: 'cosine' | 'fixed'): number {
  const w = warmupSteps(warmup, total);
  if (schedule === 'fixed' && step >= w) return scale * base;
  return scale * learningRate(step, total, base, warmup);
}
