// SyncCP mask heatmap → what each cell shows. A heatmap cell (engine MaskHeatmap) is a
// block of rowStep × colStep weights with the fraction kept by each branch as a byte
// (255 = all kept). Decomposed into the four categories the panel colours:
//   both        kept by the online and the target mask
//   targetOnly  kept by the denser target mask only
//   onlineOnly  kept by the online mask only (impossible when nested)
//   pruned      kept by neither
// A block's overlap comes from the heatmap's `both` bytes, so the split is exact (to a byte)
// also when the masks are not nested (per-branch scores). Heatmaps saved without them fall
// back to as nested as the fractions allow (both = min(online, target)).
import type { MaskHeatmap } from '../../engine/viz/maskPanel';
import { hexToRgb, MASK_COLOURS, type RGB } from './palette';

export interface CellFractions {
  both: number;
  targetOnly: number;
  onlineOnly: number;
  pruned: number;
}

/**
 * The overlap byte of a cell: each byte is rounded on its own, so the saved overlap is
 * clamped to what the two allow (the four shares are then ≥ 0 and sum to 255 exactly);
 * without one (an older heatmap), as nested as they can be.
 */
function overlapByte(onlineByte: number, targetByte: number, bothByte: number | undefined): number {
  const hi = onlineByte < targetByte ? onlineByte : targetByte;
  const lo = onlineByte + targetByte - 255;
  const b = bothByte ?? hi;
  return b > hi ? hi : b < lo ? lo : b;
}

export function cellFractions(onlineByte: number, targetByte: number, bothByte?: number): CellFractions {
  const b = overlapByte(onlineByte, targetByte, bothByte);
  return { both: b / 255, targetOnly: (targetByte - b) / 255, onlineOnly: (onlineByte - b) / 255, pruned: (255 - onlineByte - targetByte + b) / 255 };
}

export type MaskCategory = keyof CellFractions;

/** The category with the largest share of a cell (ties: both > targetOnly > onlineOnly > pruned). */
export function dominantCategory(f: CellFractions): MaskCategory {
  let best: MaskCategory = 'both';
  for (const k of ['targetOnly', 'onlineOnly', 'pruned'] as const) if (f[k] > f[best] + 1e-9) best = k;
  return best;
}

const RGB_OF: Record<MaskCategory, RGB> = {
  both: hexToRgb(MASK_COLOURS.both),
  targetOnly: hexToRgb(MASK_COLOURS.targetOnly),
  onlineOnly: hexToRgb(MASK_COLOURS.onlineOnly),
  pruned: hexToRgb(MASK_COLOURS.pruned),
};

/** RGBA pixels (one per cell, rows × cols) blending the category colours by their shares. */
export function maskRgba(h: Pick<MaskHeatmap, 'rows' | 'cols' | 'online' | 'target' | 'both'>, out = new Uint8ClampedArray(h.rows * h.cols * 4)): Uint8ClampedArray {
  const n = h.rows * h.cols;
  const b = RGB_OF.both;
  const t = RGB_OF.targetOnly;
  const o = RGB_OF.onlineOnly;
  const p = RGB_OF.pruned;
  for (let i = 0; i < n; i++) {
    const on = h.online[i];
    const tg = h.target[i];
    // cellFractions × 255.
    const both = overlapByte(on, tg, h.both?.[i]);
    const tOnly = tg - both;
    const oOnly = on - both;
    const pruned = 255 - on - tg + both;
    const j = i * 4;
    out[j] = (both * b[0] + tOnly * t[0] + oOnly * o[0] + pruned * p[0]) / 255;
    out[j + 1] = (both * b[1] + tOnly * t[1] + oOnly * o[1] + pruned * p[1]) / 255;
    out[j + 2] = (both * b[2] + tOnly * t[2] + oOnly * o[2] + pruned * p[2]) / 255;
    out[j + 3] = 255;
  }
  return out;
}

export interface MaskCellInfo {
  row: number;
  col: number;
  /** Weight rows [first, last] of the block: row = (a·kw + b)·C_out + o. */
  rows: [number, number];
  /** Input channels [first, last] of the block. */
  inputs: [number, number];
  fractions: CellFractions;
  /** For a single weight: its kernel position and output channel. */
  weight?: { a: number; b: number; o: number; c: number };
}

/**
 * A block's shares as whole weights of its `n`: a byte is round(255·k/n), so for n < 255
 * round(byte·n/255) is k again and the tooltip can say 50% where the byte says 50.2%.
 * Larger blocks keep the bytes' resolution.
 */
export function blockFractions(onlineByte: number, targetByte: number, bothByte: number | undefined, n: number): CellFractions {
  if (!(n >= 1 && n < 255)) return cellFractions(onlineByte, targetByte, bothByte);
  const on = Math.round((onlineByte * n) / 255);
  const tg = Math.round((targetByte * n) / 255);
  const b0 = Math.round(((bothByte ?? Math.min(onlineByte, targetByte)) * n) / 255);
  const both = Math.min(Math.min(on, tg), Math.max(on + tg - n, b0));
  return { both: both / n, targetOnly: (tg - both) / n, onlineOnly: (on - both) / n, pruned: (n - on - tg + both) / n };
}

/** What the cell at (row, col) of a heatmap of kernel [kh, kw, C_in, C_out] covers and holds. */
export function maskCellInfo(h: Pick<MaskHeatmap, 'rows' | 'cols' | 'rowStep' | 'colStep' | 'online' | 'target' | 'both'>, shape: readonly number[], row: number, col: number): MaskCellInfo | undefined {
  if (row < 0 || col < 0 || row >= h.rows || col >= h.cols) return undefined;
  const [kh, kw, cIn, cOut] = shape;
  const fullRows = kh * kw * cOut;
  const r0 = row * h.rowStep;
  const r1 = Math.min(fullRows, r0 + h.rowStep) - 1;
  const c0 = col * h.colStep;
  const c1 = Math.min(cIn, c0 + h.colStep) - 1;
  const i = row * h.cols + col;
  const info: MaskCellInfo = { row, col, rows: [r0, r1], inputs: [c0, c1], fractions: blockFractions(h.online[i], h.target[i], h.both?.[i], (r1 - r0 + 1) * (c1 - c0 + 1)) };
  if (r0 === r1 && c0 === c1) {
    const ab = Math.floor(r0 / cOut);
    info.weight = { a: Math.floor(ab / kw), b: ab % kw, o: r0 % cOut, c: c0 };
  }
  return info;
}
