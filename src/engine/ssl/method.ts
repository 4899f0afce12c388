// What a self-supervised method is to the trainer: which branches a step runs (network,
// view, mask role, whether it is trained, whether it predicts) and its loss over those
// branches' outputs (SslMethodCode, one file per method: simclr.ts, byol.ts, simsiam.ts),
// with what names.ts says of it (label, EMA target, predictor…); registry.ts joins them.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import type { BranchInfo } from '../plugin';
import type { SslMethodInfo, SslMethodName } from './names';

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

/** A method's code: its branches and its loss (one file per method). */
export interface SslMethodCode {
  /** The branches of one step, in the order the loss reads them. */
  branches(): BranchLayout[];
  /** The loss of one step from the branches' outputs. */
  loss(out: BranchOutputs, config: Config): tf.Scalar;
}

/** A method as the trainer holds it: its name, what names.ts says of it (label, EMA target, predictor…) and its code. */
export interface SslMethod extends SslMethodInfo, SslMethodCode {
  readonly name: SslMethodName;
}
