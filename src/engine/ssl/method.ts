// What a self-supervised method is: what the rest of the app reads of it (label, how its
// loss reads, whether it keeps an EMA target or a predictor, its solo-learn export) and,
// for the trainer, which branches a step runs (network, view, mask role, whether it is
// trained, whether it predicts) and its loss over those branches' outputs. The first is in
// methodInfo.ts (no tfjs: the page reads it), the second in one file per method
// (simclr.ts, byol.ts, simsiam.ts); registry.ts joins them.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import type { BranchInfo } from '../plugin';
import type { SslMethodName } from './methodInfo';

export interface SslMethodInfo {
  /** How people read its name (settings, panels, messages). */
  readonly label: string;
  /** One phrase for the method setting's help. */
  readonly summary: string;
  /** How to read the loss chart (the loss panel's help). */
  readonly lossHelp: string;
  /** Keeps a target network, an EMA of the online one (θt ← m·θt + (1−m)·θo). */
  readonly emaTarget: boolean;
  /** The online network has a predictor head. */
  readonly predictor: boolean;
  /** The solo-learn method a run exports to (export/soloLearnSparse.ts has its recipe); null: not exportable. */
  readonly soloLearn: 'simclr' | 'byol' | null;
}

export interface BranchLayout extends BranchInfo {
  /** The online network, or the EMA target network (methods with `emaTarget`). */
  network: 'online' | 'target';
  /** Gradients flow through it (3× forward FLOPs); false: forward only (1×). */
  trained: boolean;
  /** Its projection goes through the online predictor head. */
  predicts: boolean;
}

export interface BranchOutputs {
  /** Projections, one per branch in layout order. */
  z: tf.Tensor2D[];
  /** Predictions, for the branches whose layout `predicts` (undefined elsewhere). */
  p: (tf.Tensor2D | undefined)[];
}

/** A method's code: its branches and its loss. */
export interface SslMethodCode {
  /** The branches of one step, in the order the loss reads them. */
  branches(): BranchLayout[];
  /** The loss of one step from the branches' outputs. */
  loss(out: BranchOutputs, config: Config): tf.Scalar;
}

/** A method as the trainer holds it: its name with its definition. */
export interface SslMethod extends SslMethodInfo, SslMethodCode {
  readonly name: SslMethodName;
}
