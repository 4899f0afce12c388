// SyncCP panel data: masks as heatmaps, and the recent history of the layer a person
// looks at. Pure (no tfjs): the worker keeps the selected layer and its history (UI
// state), the plugin only hands out masks.
import type { BranchPair } from '../sparsity/scheduleOf';

/**
 * A mask as a heatmap. Layout: rows = kh·kw·C_out (row r = (a·kw + b)·C_out + o),
 * columns = C_in (so an N:M group is M adjacent columns of one row). If rows or columns
 * exceed MAX_HEATMAP_SIDE, blocks of rowStep × colStep cells are averaged. Each cell is
 * round(255 · fraction of the block kept): 0 = pruned, 255 = kept.
 */
export interface MaskHeatmap {
  rows: number;
  cols: number;
  rowStep: number;
  colStep: number;
  online: Uint8Array;
  target: Uint8Array;
  /**
   * The fraction kept by both masks, per cell (same bytes). With per-branch scores a block's
   * online and target fractions do not tell their overlap; absent in snapshots saved before it.
   */
  both?: Uint8Array;
}

export interface SyncCPHistoryEntry {
  /** The step, as rows number steps (the first is 1), whose forward first used these masks. */
  step: number;
  density: BranchPair;
  flips: BranchPair;
  masks: MaskHeatmap;
}

export const MAX_HEATMAP_SIDE = 256;
/** Updates of the selected layer kept for the mask slider. */
export const HISTORY_LENGTH = 20;

/** Downsampled heatmap of one 0/1 mask in the rows = kh·kw·C_out, cols = C_in layout. */
export function maskHeatmap(keep: Uint8Array, shape: readonly number[], maxSide = MAX_HEATMAP_SIDE): Omit<MaskHeatmap, 'online' | 'target'> & { cells: Uint8Array } {
  const [kh, kw, cIn, cOut] = shape;
  const fullRows = kh * kw * cOut;
  const rowStep = Math.ceil(fullRows / maxSide);
  const colStep = Math.ceil(cIn / maxSide);
  const rows = Math.ceil(fullRows / rowStep);
  const cols = Math.ceil(cIn / colStep);
  const kept = new Float64Array(rows * cols);
  const count = new Float64Array(rows * cols);
  for (let f = 0; f < keep.length; f++) {
    const o = f % cOut;
    const c = Math.floor(f / cOut) % cIn;
    const ab = Math.floor(f / (cOut * cIn));
    const cell = Math.floor((ab * cOut + o) / rowStep) * cols + Math.floor(c / colStep);
    kept[cell] += keep[f];
    count[cell] += 1;
  }
  const cells = new Uint8Array(rows * cols);
  for (let i = 0; i < cells.length; i++) cells[i] = count[i] ? Math.round((255 * kept[i]) / count[i]) : 0;
  return { rows, cols, rowStep, colStep, cells };
}

export function heatmapPair(online: Uint8Array, target: Uint8Array, shape: readonly number[]): MaskHeatmap {
  const a = maskHeatmap(online, shape);
  const b = maskHeatmap(target, shape);
  const both = new Uint8Array(online.length);
  for (let i = 0; i < both.length; i++) both[i] = online[i] & target[i];
  return { rows: a.rows, cols: a.cols, rowStep: a.rowStep, colStep: a.colStep, online: a.cells, target: b.cells, both: maskHeatmap(both, shape).cells };
}


/** A layer's current masks (copies) and the entries each branch changed at the last update. */
export interface LayerMasks {
  name: string;
  shape: [number, number, number, number];
  online: Uint8Array;
  target: Uint8Array;
  flips: BranchPair;
}

const ones = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

/** The selected layer's masks at each update, the last HISTORY_LENGTH of them, oldest first. */
export class MaskHistory {
  readonly entries: SyncCPHistoryEntry[] = [];
  constructor(readonly layer: string) {}

  record(step: number, m: LayerMasks): void {
    if (m.name !== this.layer) throw new Error(`MaskHistory of ${this.layer} was given masks of ${m.name}`);
    const size = m.online.length;
    this.entries.push({ step, density: { online: ones(m.online) / size, target: ones(m.target) / size }, flips: { ...m.flips }, masks: heatmapPair(m.online, m.target, m.shape) });
    if (this.entries.length > HISTORY_LENGTH) this.entries.splice(0, this.entries.length - HISTORY_LENGTH);
  }
}
