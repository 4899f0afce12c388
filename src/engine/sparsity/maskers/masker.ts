// What a SyncCP masker is: for one granularity, the densities its layers are planned at
// and the pair of 0/1 masks (online = sparser, target = denser) of every prunable conv,
// chosen from scores already read back to the CPU. Pure: no tfjs, so each granularity is
// tested on plain arrays and the plugin only moves data.
import type { BranchPair } from '../scheduleOf';

export type Shape4 = [number, number, number, number];
export type Values = ArrayLike<number>;

export interface MaskPair {
  online: Uint8Array;
  target: Uint8Array;
}

export interface MaskerInput {
  /** tfjs kernel shapes [kh, kw, C_in, C_out], one per prunable conv. */
  shapes: readonly Shape4[];
  /**
   * Scores per layer and branch role, laid out as the masker's `scoreLayout` says. With
   * `shared`, both roles hold the same arrays and the masker keeps online ⊆ target.
   */
  scores: { online: readonly Values[]; target: readonly Values[] };
  shared: boolean;
  /** The schedule's value for each role at this update (density or N:M group fraction). */
  value: BranchPair;
  /** What `planned()` gave for this value. */
  planned: readonly BranchPair[];
}

export interface Masker {
  /** 'weight': one score per weight; 'channel': one per output channel (a norm of its filter). */
  readonly scoreLayout: 'weight' | 'channel';
  /** Planned per-layer weight densities (channel: fraction of output channels) for a schedule value. */
  planned(shapes: readonly Shape4[], value: BranchPair): BranchPair[];
  /** The masks of every layer. */
  masks(input: MaskerInput): MaskPair[];
}
