// What a self-supervised method is to the trainer: which branches a step runs (network,
// view, mask role, whether it is trained, whether it predicts), its loss over those
// branches' outputs, and whether it keeps an EMA target network. One file per method
// implements it (simclr.ts, byol.ts, simsiam.ts); registry.ts lists them.
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config';
import type { BranchInfo } from '../plugin';
import type { SslMethodName } from './names';

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

export interface SslMethod {
  readonly name: SslMethodName;
  /** Keeps a target network, an EMA of the online one (θt ← m·θt + (1−m)·θo). */
  readonly emaTarget: boolean;
  /** The online network has a predictor head. */
  readonly predictor: boolean;
  /** The branches of one step, in the order the loss reads them. */
  branches(): BranchLayout[];
  /** The loss of one step from the branches' outputs. */
  loss(out: BranchOutputs, config: Config): tf.Scalar;
}
