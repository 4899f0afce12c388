// One prunable conv as SyncCP holds it — both masks on the CPU (the maskers rank there) and
// on the device (forward passes and the optimizer read them), the last update's record, the
// score EMAs — and what is done to such layers beyond coordinating them: their device
// copies, their saved state (resume) and its checks. syncp.ts coordinates.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { PluginState } from '../plugin';
import { rememberMaskValues } from '../nn/maskValues';
import { expectArray, type StateArray } from '../state/stateArray';
import { toTensor as stateTensor } from '../state/stateTensors';
import type { LayerMasks } from '../viz/maskPanel';
import { maskUpdateStats, ones, type MaskUpdateStats } from '../viz/maskStats';
import type { MaskPair, Shape4 } from './maskers';
import type { BranchPair } from './scheduleOf';
import { channelScores } from './maskers/channel';
import { updateMaskOf, type SyncCPLayerUpdate } from './syncpUpdate';

export interface SyncCPLayer extends MaskUpdateStats, MaskPair {
  name: string;
  shape: Shape4;
  size: number;
  planned: BranchPair;
  tOnline: tf.Tensor;
  tTarget: tf.Tensor;
  /** The optimizer's update mask as bool (SimCLR: the union of both masks; BYOL: the online mask). */
  tUpdate: tf.Tensor;
  emaOnline?: tf.Variable;
  emaTarget?: tf.Variable;
}

/** What a SyncCP plugin carries from step to step besides its layers (saved with them). */
export interface SyncCPBook {
  lastUpdate: number | null;
  stepsDone: number;
  prepared: number;
}

/** A 0/1 mask as a float32 tensor. The host copy goes with it: the WebGPU sparse kernels read the layout from it (no readback). */
export function maskTensor(keep: Uint8Array, shape: readonly number[]): tf.Tensor {
  return rememberMaskValues(tf.tensor(Float32Array.from(keep), shape.slice(), 'float32'), keep);
}

/** The device copies of a layer's masks. */
export function maskTensors(m: MaskPair, shape: Shape4, byol: boolean): Pick<SyncCPLayer, 'tOnline' | 'tTarget' | 'tUpdate'> {
  return { tOnline: maskTensor(m.online, shape), tTarget: maskTensor(m.target, shape), tUpdate: tf.tensor(updateMaskOf(byol, m), shape, 'bool') };
}

type SavedLayer = Pick<SyncCPLayer, 'name' | 'planned' | 'flips' | 'nested' | 'iou' | 'nmFraction'>;

/** Masks, score EMAs, gradients stashed for the next regrowth, and the update's bookkeeping. */
export function saveLayers(layers: readonly SyncCPLayer[], stashedGrads: Record<string, tf.Tensor> | null, book: SyncCPBook): PluginState {
  const tensors: Record<string, tf.Tensor> = {};
  for (const l of layers) {
    tensors[`${l.name}.online`] = l.tOnline;
    tensors[`${l.name}.target`] = l.tTarget;
    if (l.emaOnline) tensors[`${l.name}.emaOnline`] = l.emaOnline;
    if (l.emaTarget) tensors[`${l.name}.emaTarget`] = l.emaTarget;
    if (stashedGrads?.[l.name]) tensors[`${l.name}.stashedGrad`] = stashedGrads[l.name];
  }
  const saved: SavedLayer[] = layers.map((l) => ({ name: l.name, planned: l.planned, flips: l.flips, nested: l.nested, iou: l.iou, nmFraction: l.nmFraction }));
  return { meta: { lastUpdate: book.lastUpdate, stepsDone: book.stepsDone, prepared: book.prepared, layers: saved }, tensors };
}

const Pair = z.object({ online: z.number(), target: z.number() });
/** The fields saveLayers writes; any other key (a live layer's shape or EMA variables) is stripped. */
const SavedLayerSchema = z.object({ name: z.string(), planned: Pair, flips: Pair, nested: z.number(), iou: z.number(), nmFraction: Pair.nullish().transform((v) => v ?? null) });
const WHAT_IS_WRONG: Record<string, string> = {
  name: 'no name',
  planned: 'planned densities missing',
  flips: 'flips missing',
  nested: 'nestedness or IoU missing',
  iou: 'nestedness or IoU missing',
  nmFraction: 'N:M fraction is neither a pair nor null',
};

/** The book saveLayers writes beside its layers (each layer is checked by savedLayer). */
const SavedBookSchema = z.object({
  lastUpdate: z.number().int().nonnegative().nullable(),
  stepsDone: z.number().int().nonnegative(),
  prepared: z.number().int().min(-1),
  layers: z.array(z.unknown()),
});

/** One saved layer's fields, checked, or a clear error naming what is wrong. */
function savedLayer(x: unknown, i: number): SavedLayer {
  const r = SavedLayerSchema.safeParse(x);
  if (r.success) return r.data;
  const field = r.error.issues[0]?.path[0];
  throw new Error(`saved SyncCP state is malformed (layer ${i + 1}: ${field === undefined ? 'not an object' : (WHAT_IS_WRONG[String(field)] ?? String(field))})`);
}

/**
 * saveLayers' state into freshly built layers (their device copies replaced, EMAs assigned);
 * every array is checked before anything changes. Returns the book and the stashed
 * gradients (null when none were saved); the caller disposes its own.
 */
export function loadLayers(layers: SyncCPLayer[], meta: unknown, arrays: Record<string, StateArray>, byol: boolean): { book: SyncCPBook; stashedGrads: Record<string, tf.Tensor> | null } {
  // The bookkeeping too: a lastUpdate left out of a hand-edited file made every row's update step NaN.
  const parsed = SavedBookSchema.safeParse(meta);
  if (!parsed.success) throw new Error(`saved SyncCP state is malformed (expected lastUpdate, stepsDone, prepared and layers: ${parsed.error.issues[0]?.path.join('.') || 'not an object'} is missing or not a step)`);
  const m = parsed.data;
  // Only the fields saveLayers wrote are taken, each checked: a damaged file must neither
  // overwrite a live layer's shape or EMA variables nor fail later in a step.
  const saved = m.layers.map((l, i) => savedLayer(l, i));
  const names = layers.map((l) => l.name).join(', ');
  if (saved.map((l) => l.name).join(', ') !== names) throw new Error(`saved SyncCP state has layers [${saved.map((l) => l.name).join(', ')}], this run has [${names}]`);
  const grads = layers.filter((l) => arrays[`${l.name}.stashedGrad`]);
  for (const l of layers) {
    for (const k of ['online', 'target', ...(l.emaOnline ? ['emaOnline'] : []), ...(l.emaTarget ? ['emaTarget'] : [])]) expectArray(arrays, `${l.name}.${k}`, l.shape);
    if (grads.length) expectArray(arrays, `${l.name}.stashedGrad`, l.shape);
  }
  layers.forEach((l, i) => {
    const keep = (k: string) => Uint8Array.from(arrays[`${l.name}.${k}`].data, (x) => (x !== 0 ? 1 : 0));
    tf.dispose([l.tOnline, l.tTarget, l.tUpdate]);
    Object.assign(l, saved[i], { online: keep('online'), target: keep('target') });
    Object.assign(l, maskTensors(l, l.shape, byol));
    tf.tidy(() => {
      if (l.emaOnline) l.emaOnline.assign(stateTensor(arrays[`${l.name}.emaOnline`]));
      if (l.emaTarget) l.emaTarget.assign(stateTensor(arrays[`${l.name}.emaTarget`]));
    });
  });
  return {
    book: { lastUpdate: m.lastUpdate, stepsDone: m.stepsDone, prepared: m.prepared },
    stashedGrads: grads.length ? Object.fromEntries(layers.map((l) => [l.name, stateTensor(arrays[`${l.name}.stashedGrad`])])) : null,
  };
}

/**
 * A layer at its start masks (the record: no flips), with device copies, and score EMAs
 * started at |W| (`ema`: the online weights; `emaTarget`: the target's, for per-branch scores).
 */
export function createLayer(
  name: string, shape: Shape4, m: MaskPair, planned: BranchPair, byol: boolean, nm: { n: number; m: number } | null,
  ema?: tf.Variable, emaTarget?: tf.Variable,
): SyncCPLayer {
  const { online, target } = m;
  const l: SyncCPLayer = { name, shape, size: online.length, online, target, planned, ...maskUpdateStats(m, m, shape, nm), ...maskTensors(m, shape, byol) };
  if (ema) {
    l.emaOnline = tf.tidy(() => tf.variable(tf.abs(ema), false)); // tidy: |W| is a tensor of its own
    if (emaTarget) l.emaTarget = tf.tidy(() => tf.variable(tf.abs(emaTarget), false));
  }
  return l;
}

/** The layer's masks (copies) and last flips, for the N:M grid or the mask history. */
export function layerMasksOf(l: SyncCPLayer): LayerMasks {
  return { name: l.name, shape: [...l.shape] as Shape4, online: l.online.slice(), target: l.target.slice(), flips: { ...l.flips } };
}

/** The layer's record of the last update (copies). */
export function updateRecordOf(l: SyncCPLayer): { name: string } & MaskUpdateStats {
  return { name: l.name, flips: { ...l.flips }, nested: l.nested, iou: l.iou, nmFraction: l.nmFraction ? { ...l.nmFraction } : null };
}

/** Reads the tensors back (async) and disposes them. */
export async function readBack(ts: Record<string, tf.Tensor>): Promise<Record<string, ArrayLike<number>>> {
  const keys = Object.keys(ts);
  try {
    const arrays = await Promise.all(keys.map((k) => ts[k].data()));
    return Object.fromEntries(keys.map((k, i) => [k, arrays[i]]));
  } finally {
    tf.dispose(ts);
  }
}

/** readBack's synchronous form. */
export function readBackSync(ts: Record<string, tf.Tensor>): Record<string, ArrayLike<number>> {
  const data: Record<string, ArrayLike<number>> = {};
  try {
    for (const [k, t] of Object.entries(ts)) data[k] = t.dataSync();
  } finally {
    tf.dispose(ts);
  }
  return data;
}

/**
 * Tensors the update reads back, by `name|key`: the scores per role in the masker's layout
 * (so: online; st: the target's own, with `target` weights; the score EMA where kept, else
 * |W|; channel norms with `channelNorm`), and with a stashed gradient |W| (w) and |grad| (g).
 */
export function scoreTensors(
  layers: readonly SyncCPLayer[], online: Record<string, tf.Variable>, target: Record<string, tf.Variable> | null,
  stashedGrads: Record<string, tf.Tensor> | null, channelNorm: 'l1' | 'l2' | null,
): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    const reduce = (s: tf.Tensor) => (channelNorm ? channelScores(s, channelNorm) : s);
    for (const l of layers) {
      const wOn = online[l.name];
      out[`${l.name}|so`] = reduce(l.emaOnline ? l.emaOnline.clone() : tf.abs(wOn));
      if (target) out[`${l.name}|st`] = reduce(l.emaTarget ? l.emaTarget.clone() : tf.abs(target[l.name]));
      if (stashedGrads?.[l.name]) {
        out[`${l.name}|w`] = tf.abs(wOn);
        out[`${l.name}|g`] = stashedGrads[l.name].clone();
      }
    }
    return out;
  });
}

/**
 * An update's masks, planned densities and record into the layer, with new device copies;
 * the old ones go to `retire`. Returns the entries whose Adam moments restart (a mask
 * tensor), or null.
 */
export function applyLayerUpdate(l: SyncCPLayer, u: SyncCPLayerUpdate, byol: boolean, retire: (ts: tf.Tensor[]) => void): tf.Tensor | null {
  const reset = u.entered ? maskTensor(u.entered, l.shape) : null;
  Object.assign(l, u.stats, { online: u.online, target: u.target, planned: u.planned });
  retire([l.tOnline, l.tTarget, l.tUpdate]);
  Object.assign(l, maskTensors(u, l.shape, byol));
  return reset;
}

/**
 * Set W (and its EMA score: the layer's online one, or `ema`) to 0 where `zero` is 1.
 * where(), not W·(1−Z): a negative weight times 0 would be −0.
 */
export function zeroWeights(l: SyncCPLayer, w: tf.Variable, zero: Uint8Array, ema: tf.Variable | undefined = l.emaOnline): void {
  tf.tidy(() => {
    const where = tf.tensor(zero, l.shape, 'bool');
    w.assign(tf.where(where, tf.zerosLike(w), w));
    if (ema) ema.assign(tf.where(where, tf.zerosLike(ema), ema));
  });
}

/** S ← μ·S + (1 − μ)·|W| for each layer's score EMAs (online weights; the target's for a per-branch target EMA). */
export function updateScoreEmas(layers: readonly SyncCPLayer[], mu: number, online: Record<string, tf.Variable>, target?: Record<string, tf.Variable>): void {
  tf.tidy(() => {
    for (const l of layers) {
      l.emaOnline!.assign(tf.add(tf.mul(l.emaOnline!, mu), tf.mul(tf.abs(online[l.name]), 1 - mu)));
      if (l.emaTarget) l.emaTarget.assign(tf.add(tf.mul(l.emaTarget, mu), tf.mul(tf.abs(target![l.name]), 1 - mu)));
    }
  });
}

/**
 * A copy of the layers (and with `weights`, of W and the online EMA score, which regrowth
 * zeroes in place) to put back if the step is undone: restore() disposes the device copies
 * made since and reassigns the weights; drop() frees the copies.
 */
export function layerCheckpoint(layers: SyncCPLayer[], weights: Record<string, tf.Variable> | null, targetWeights: Record<string, tf.Variable> | null = null): { restore(): void; drop(): void } {
  const saved = layers.map((l) => ({ ...l }));
  const copies = weights ? layers.map((l) => ({ w: tf.clone(weights[l.name]), ema: l.emaOnline ? tf.clone(l.emaOnline) : null })) : [];
  // A per-branch target's weights and score EMA are zeroed by an update too.
  const targetCopies = targetWeights ? layers.map((l) => ({ w: tf.clone(targetWeights[l.name]), ema: l.emaTarget ? tf.clone(l.emaTarget) : null })) : [];
  const drop = () => [...copies, ...targetCopies].forEach((c) => tf.dispose(c.ema ? [c.w, c.ema] : [c.w]));
  return {
    drop,
    restore: () => {
      const old = new Set(saved.flatMap((l) => [l.tOnline, l.tTarget, l.tUpdate]));
      layers.forEach((l, i) => {
        tf.dispose([l.tOnline, l.tTarget, l.tUpdate].filter((t) => !old.has(t)));
        Object.assign(l, saved[i]);
        const c = copies[i];
        if (c) {
          weights![l.name].assign(c.w);
          if (c.ema && l.emaOnline) l.emaOnline.assign(c.ema);
        }
        const t = targetCopies[i];
        if (t) {
          targetWeights![l.name].assign(t.w);
          if (t.ema && l.emaTarget) l.emaTarget.assign(t.ema);
        }
      });
      drop();
    },
  };
}

/**
 * Mask densities measured on the device, [online, target] per layer in layer order. Masks
 * change only at updates (or when a diverged step is undone), so they are computed once per
 * set of mask tensors and handed out as clones (no kernel runs).
 */
export class MaskDensities {
  private cache: { masks: tf.Tensor[]; tensor: tf.Tensor } | null = null;

  of(layers: readonly SyncCPLayer[]): tf.Tensor {
    const masks = layers.flatMap((l) => [l.tOnline, l.tTarget]);
    const c = this.cache;
    if (!c || c.masks.length !== masks.length || c.masks.some((m, i) => m !== masks[i])) {
      c?.tensor.dispose();
      this.cache = { masks, tensor: tf.tidy(() => tf.stack(masks.map((m) => tf.mean(m)))) };
    }
    return this.cache!.tensor.clone();
  }

  dispose(): void {
    this.cache?.tensor.dispose();
    this.cache = null;
  }
}

/** Per-layer densities from MaskDensities' read-back values, or counted on the host masks when absent. */
export function layerDensities(layers: readonly SyncCPLayer[], d?: Float32Array): Record<string, BranchPair> {
  const out: Record<string, BranchPair> = {};
  layers.forEach((l, i) => {
    out[l.name] = d && d.length === 2 * layers.length
      ? { online: d[2 * i], target: d[2 * i + 1] }
      : { online: ones(l.online) / l.size, target: ones(l.target) / l.size };
  });
  return out;
}

export function disposeLayers(layers: readonly SyncCPLayer[]): void {
  for (const l of layers) {
    tf.dispose([l.tOnline, l.tTarget, l.tUpdate]);
    l.emaOnline?.dispose();
    l.emaTarget?.dispose();
  }
}
