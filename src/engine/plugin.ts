// The seam between the trainer and a sparsification method (SyncCP, CDG). The trainer
// calls these at fixed points of a step; a method never reaches into the trainer.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from './config';
import type { Network, NetworkSpec } from './nn/network';
import type { ConvHook } from './nn/resnet';
import type { CDGSnapshot } from './sparsity/cdg';
import type { SyncCPSnapshot } from './viz/syncpPanel';
import type { PluginRowFields } from './runFile';
import type { StateArray } from './state/stateArray';
import type { LayerDensities } from './stepFlops';
import type { LayerMasks } from './viz/maskPanel';
import type { MaskUpdateStats } from './viz/maskStats';

/**
 * A branch's role, in its method's words. BYOL: 'online' (the trained network) and
 * 'target' (its EMA). SimCLR and SimSiam: 'first' and 'second', two views through one
 * network — 'target' is BYOL's word for something else.
 */
export const BRANCH_ROLES = ['online', 'target', 'first', 'second'] as const;
export type BranchRole = (typeof BRANCH_ROLES)[number];

/**
 * Which of a sparsifier's two masks (and which tally of gates) a role uses: 'online' the
 * sparser, 'target' the denser. These two names are what rows, snapshots and run.json
 * carry for every method (run.json's masks keep {online, target}).
 */
export type MaskSlot = 'online' | 'target';

export function maskSlot(role: BranchRole): MaskSlot {
  return role === 'online' || role === 'first' ? 'online' : 'target';
}

export interface BranchInfo {
  role: BranchRole;
  /** 0 or 1: which augmented view the branch sees. */
  view: number;
  /** false: a forward only, no loss reaches it (BYOL's target); absent: trained. */
  trained?: boolean;
}

export interface PluginContext {
  config: Config;
  spec: NetworkSpec;
  online: Network;
  /** BYOL only. */
  target?: Network;
  totalSteps: number;
  /** Images a step trains on (per view): the batch size, or the whole train split when it is smaller. */
  stepBatch: number;
  /** The fixed probe pair for panels (train image 0, fixed augmentation seed): two [1, S, S, C] views; caller disposes. */
  probe?: () => [tf.Tensor4D, tf.Tensor4D];
  /**
   * The weight masks the online network's two branches train with (another plugin's, e.g.
   * SyncCP's beside CDG), and whether they prune whole channels: the probe runs the network
   * that trains, not a dense one.
   */
  probeMasks?: () => { masks: (Record<string, tf.Tensor> | undefined)[]; prunedChannels: boolean };
  /**
   * The weight and kept-channel densities of the run's plugins (SyncCP's beside CDG), counted
   * on their masks: a plugin that counts FLOPs of its own (CDG's per-layer table) counts the
   * network that trains, as the step's FLOPs do.
   */
  weightDensities?: () => Pick<LayerDensities, 'weight' | 'outputChannels'>;
}

/**
 * What trains: masks per branch role, a conv hook (gates), update masks for the optimizer,
 * extra loss and variables, and the hooks around a step. A hook that decides alone
 * (convHook, updateMask) may have one provider per run (plugins.ts checks it).
 */
export interface Sparsifier {
  /**
   * Awaited before beforeStep (outside the tape): work that needs an async readback,
   * e.g. ranking scores for new masks at update steps without dataSync (WebGPU).
   */
  prepareStep?(step: number): Promise<void>;
  /**
   * Called first in a step, before prepareStep/beforeStep. A plugin that changes state
   * before the step's loss is known (e.g. a mask update) saves what it will change and
   * returns how to undo it: the trainer restores it when the step diverges and releases
   * it when the step is applied. Undefined: nothing changes before the readback.
   */
  checkpoint?(step: number): StepCheckpoint | undefined;
  /** Before the forward pass of step `step` (outside the tape): e.g. recompute masks at update steps. */
  beforeStep?(step: number): void;
  /** Weight masks for a branch role, by conv name; undefined = dense. */
  masks?(role: BranchRole): Record<string, tf.Tensor> | undefined;
  /** Replaces the conv of prunable layers for all branches at once (inside the tape when training). */
  convHook?(branches: BranchInfo[], training: boolean, step: number): ConvHook | undefined;
  /** Extra loss term added inside the tape (e.g. a density penalty). */
  extraLoss?(): tf.Scalar | undefined;
  /** Extra trainable variables owned by the method (e.g. learned thresholds). */
  variables?(): Record<string, tf.Variable>;
  /** Optimizer update mask for an online variable: entries at 0 get no step and no decay. */
  updateMask?(name: string): tf.Tensor | undefined;
  /**
   * Entries of online variables whose Adam moments restart at 0 in this step's optimizer
   * update (weights that came back into the update mask: regrown or revived), by name,
   * as 0/1 tensors the plugin owns. Asked once the step's loss is known to be finite.
   */
  momentResets?(): Record<string, tf.Tensor> | undefined;
  /** After the optimizer step, with that step's gradients (e.g. score EMA, regrowth). */
  afterStep?(step: number, grads: Record<string, tf.Tensor>, helpers: StepHelpers): void;
}

/** What reports: numbers carried by the step's one packed readback, and how they read. */
export interface MetricsSource {
  /**
   * Numbers to read back with the step's loss, in one packed readback: name → tensor
   * (any shape, flattened). The trainer disposes them after reading.
   */
  metrics?(): Record<string, tf.Tensor>;
  /**
   * Turns this plugin's read-back metrics into fields of a logged row (e.g. `density`,
   * `gateDensity`: the fields MetricsRowSchema declares). Two plugins reporting the same
   * field is an error (plugins.ts OwnedMerge), not a silent overwrite.
   */
  report?(metrics: Record<string, Float32Array>): PluginRowFields;
  /** Per-layer weight density of each branch, for FLOPs accounting (1 = dense). */
  weightDensity?(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number }>;
  /** Per-layer fraction of output channels kept (not pruned whole) of each branch, for FLOPs accounting of the next conv. */
  outputChannelDensity?(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number }> | undefined;
  /** Per-layer conditional-path gate density of each branch, for FLOPs accounting. */
  gateDensity?(metrics: Record<string, Float32Array>): Record<string, { online: number; target: number; beta: number; gradient?: 'ste' | 'detached' }>;
}

/**
 * What draws and what is kept: the panel snapshot (UI state passed in) and run.json's masks
 * and state. `TSnapshot` is the plugin's own snapshot type, told apart from the others by `kind`.
 */
export interface PanelSource<TSnapshot extends { kind: string } = PanelSnapshot> {
  /** Final masks for run.json (0/1 bytes in tfjs row-major order of the kernel). */
  exportMasks?(): Promise<ExportedMask[]>;
  /**
   * Data for this method's live panel at the current step (structured-cloneable: plain
   * objects, numbers, typed arrays), posted by the Worker; `kind` says whose it is. What
   * the page is looking at (e.g. the selected layer) comes in `view`: UI state is never
   * kept in the engine.
   */
  snapshot?(view?: PanelView): Promise<TSnapshot>;
  /** Anything else worth keeping in run.json (e.g. last gate densities). */
  exportState?(): Promise<Record<string, unknown>>;
}

/**
 * What a plugin keeps between steps beyond its variables() (the trainer saves those):
 * JSON-able `meta` and tensors it owns, which the caller reads and does not dispose.
 */
export interface PluginState {
  meta: unknown;
  tensors: Record<string, tf.Tensor>;
}

/** What resumes: save and load everything a plugin carries from one step to the next. */
export interface Resumable {
  saveState?(): PluginState;
  /**
   * Into a freshly built plugin of the same config: `arrays` are host copies of the saved
   * tensors. Check everything before changing anything; throw a message saying what was
   * expected.
   */
  loadState?(meta: unknown, arrays: Record<string, StateArray>): void;
}

/**
 * A sparsifier whose weight masks the page shows layer by layer (the mask heatmaps, their
 * history, the N:M grid). The worker finds it by these members, not by its class.
 */
export interface WeightMaskSource {
  layerNames(): string[];
  /** A layer's current masks (copies) and last flips; undefined for an unknown name. */
  layerMasks(name: string): LayerMasks | undefined;
  /** Step of the last mask update as rows number steps (the first step trained with the new masks), null before the first. */
  readonly lastUpdateStep: number | null;
  updateSummary(): { step: number | null; layers: ({ name: string } & MaskUpdateStats)[] };
  /** N and M when the masks are N:M, else null. */
  nmPattern(): { n: number; m: number } | null;
}

export function isWeightMaskSource(p: StepPlugin): p is StepPlugin & WeightMaskSource {
  const q = p as Partial<WeightMaskSource>;
  return typeof q.layerNames === 'function' && typeof q.layerMasks === 'function' && typeof q.updateSummary === 'function' && typeof q.nmPattern === 'function';
}

/** A sparsification method as the trainer holds it: all its roles, a name, and disposal. */
export interface StepPlugin<TSnapshot extends PanelSnapshot = PanelSnapshot> extends Sparsifier, MetricsSource, PanelSource<TSnapshot>, Resumable {
  readonly name: string;
  dispose(): void;
}

/** What the page is looking at, passed to snapshot(). */
export interface PanelView {
  /** The prunable layer shown in detail (SyncCP mask heatmap, N:M grid). */
  selectedLayer?: string;
}

/** Every plugin's panel snapshot, told apart by `kind`. */
export type PanelSnapshot = SyncCPSnapshot | CDGSnapshot;

export interface StepCheckpoint {
  /** Put back everything as it was before the step. */
  restore(): void;
  /** The step was applied: drop what was saved. */
  release(): void;
}

export interface ExportedMask {
  name: string;
  shape: number[];
  online: Uint8Array;
  target: Uint8Array;
}

export interface StepHelpers {
  /**
   * Gradient of the step's loss with respect to the *effective* conv weights of the online
   * network (nonzero also where a mask is 0), for GraNet-style regrowth: every branch
   * computes with its own mask, X_role = W ⊙ M_role, and the gradients with respect to
   * X_role are summed over the roles of the online network's branches (BYOL: online only;
   * SimCLR/SimSiam: both branches share W). Costs one extra forward/backward; call it
   * only on update steps. Caller disposes the result.
   */
  effectiveGradients(names: string[]): Record<string, tf.Tensor>;
}
