// Metric rows → chart rows (pure). Keys are `${layer}|${role}` so one chart row holds
// every layer's value at a step.
import type { MaskUpdate, ProgressRow } from '../../worker/protocol';
import { flopsOverSteps } from '../../engine/runFile';

export type Role = 'online' | 'target';
export const key = (layer: string, role: Role | 'mean'): string => `${layer}|${role}`;

/**
 * At most `max` points, evenly strided, always keeping the last: charts stay cheap on long
 * runs. Points `keep` names (a row where a line moves: a mask update, a new gate target) are
 * kept too, beyond `max`: thinned away, the line moved at the next kept point instead.
 */
export function downsample<T>(xs: readonly T[], max: number, keep?: (x: T, i: number) => boolean): readonly T[] {
  if (xs.length <= max) return xs;
  const stride = xs.length / max;
  const picked = new Set<number>();
  for (let i = 0; i < max - 1; i++) picked.add(Math.floor(i * stride));
  picked.add(xs.length - 1);
  if (keep) xs.forEach((x, i) => keep(x, i) && picked.add(i));
  return [...picked].sort((a, b) => a - b).map((i) => xs[i]);
}

type Pair = { online: number; target: number };

/** Per-layer online/target values over steps from rows' `field` (density or gateDensity). */
export function layerSeries(rows: readonly ProgressRow[], field: 'density' | 'gateDensity', max = 200): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  const measured = rows.filter((q) => q[field]);
  // The rows where the lines move: the first after a mask update, a new scheduled gate target.
  const moves = (r: ProgressRow, i: number) => r.update !== undefined || (i > 0 && r.gateTarget !== measured[i - 1].gateTarget);
  for (const r of downsample(measured, max, moves)) {
    const p: Record<string, number> = { step: r.step };
    for (const [layer, v] of Object.entries(r[field] as Record<string, Pair>)) {
      p[key(layer, 'online')] = v.online;
      p[key(layer, 'target')] = v.target;
      p[key(layer, 'mean')] = (v.online + v.target) / 2;
    }
    if (r.gateTarget !== undefined) p.gateTarget = r.gateTarget;
    out.push(p);
  }
  return out;
}

export interface CumulativePoint {
  step: number;
  /** Training FLOPs of all steps so far. */
  dense: number;
  effective: number;
  /** 1 − effective/dense over all steps so far. */
  saving: number;
}

/**
 * Running totals of training FLOPs and the fraction saved so far. A row stands for the steps
 * since the row before it: one in a live run, several where only logged rows are known (a
 * run restored from its history, an imported run.json logged every few steps).
 */
export function cumulativeFlops(rows: readonly ProgressRow[], max = 200): readonly CumulativePoint[] {
  const all: CumulativePoint[] = [];
  let d = 0;
  let e = 0;
  let prev = 0;
  for (const r of rows) {
    const f = flopsOverSteps(r.flops, Math.max(1, r.step - prev));
    prev = r.step;
    d += f.dense;
    e += f.effective;
    all.push({ step: r.step, dense: d, effective: e, saving: d > 0 ? 1 - e / d : 0 });
  }
  return downsample(all, max);
}

/** Per-update totals over layers: flips per branch, and mean nestedness / IoU. */
export function updateSeries(updates: readonly MaskUpdate[], max = 200): Record<string, number>[] {
  return downsample(updates, max).map((u) => {
    const p: Record<string, number> = { step: u.step, flipsOnline: 0, flipsTarget: 0, nested: 0, iou: 0 };
    for (const l of u.layers) {
      p.flipsOnline += l.flips.online;
      p.flipsTarget += l.flips.target;
      p.nested += l.nested / u.layers.length;
      p.iou += l.iou / u.layers.length;
      if (l.nmFraction) {
        p[key(l.name, 'online')] = l.nmFraction.online;
        p[key(l.name, 'target')] = l.nmFraction.target;
      }
    }
    return p;
  });
}
