// Helpers for the SyncCP tests: a tiny trainer for a preset, the plugin, and plain-JS
// mask arithmetic written independently of src/engine/sparsity.
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import type { ExportedMask } from '../../../src/engine/plugin';
import { SyncCPPlugin } from '../../../src/engine/sparsity/syncp';
import { Trainer } from '../../../src/engine/trainer';

export const dataset = await loadDataset('shapes', { seed: 5, trainCount: 64, testCount: 32 });

export function tinyTrainer(preset: string, overrides: Record<string, unknown> = {}, steps = 20): Trainer {
  return new Trainer(buildConfig({ preset, tiny: true, overrides: { steps, ...overrides } }), dataset);
}

export function syncp(t: Trainer): SyncCPPlugin {
  const p = t.plugins.find((x) => x.name === 'syncp');
  if (!(p instanceof SyncCPPlugin)) throw new Error('no SyncCP plugin');
  return p;
}

/**
 * The exported masks, checked to be one per prunable conv (every conv but the stem): a loop
 * of assertions over them can then not pass by running zero times.
 */
export async function allMasks(t: Trainer): Promise<ExportedMask[]> {
  const masks = await syncp(t).exportMasks();
  const convs = t.spec.encoder.convs.map((c) => c.name).filter((n) => n !== 'stem.conv');
  if (convs.length === 0 || masks.map((m) => m.name).join() !== convs.join()) throw new Error(`masks ${masks.map((m) => m.name).join()} are not one per prunable conv (${convs.join()})`);
  return masks;
}

export async function run(t: Trainer, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await t.trainStep();
}

export function count(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) s++;
  return s;
}

export function isSubset(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && b[i] === 0) return false;
  return true;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}

/** Kept count of every full group of m input channels; kernel [kh, kw, C_in, C_out], flat ((a·kw+b)·C_in+c)·C_out+o. */
export function groupCounts(mask: ArrayLike<number>, shape: readonly number[], m: number): number[] {
  const [kh, kw, cIn, cOut] = shape;
  const out: number[] = [];
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let o = 0; o < cOut; o++)
        for (let g = 0; g + m <= cIn; g += m) {
          let k = 0;
          for (let j = 0; j < m; j++) k += mask[((a * kw + b) * cIn + g + j) * cOut + o] !== 0 ? 1 : 0;
          out.push(k);
        }
  return out;
}

/** Per output channel: 1 if every entry of that channel is kept, 0 if none; throws if mixed. */
export function channelsOf(mask: ArrayLike<number>, shape: readonly number[]): number[] {
  const cOut = shape[3];
  const ch: number[] = new Array(cOut).fill(-1);
  for (let i = 0; i < mask.length; i++) {
    const o = i % cOut;
    const v = mask[i] !== 0 ? 1 : 0;
    if (ch[o] === -1) ch[o] = v;
    else if (ch[o] !== v) throw new Error(`channel ${o} is partly masked`);
  }
  return ch;
}

export function byName(masks: ExportedMask[]): Map<string, ExportedMask> {
  return new Map(masks.map((m) => [m.name, m]));
}

/** ERK by hand (RigL): d_l = ε·(Σdims/Πdims); layers over 1 made dense and ε recomputed. */
export function erkByHand(shapes: number[][], D: number): number[] {
  const n = shapes.map(size);
  const raw = shapes.map((s, i) => s.reduce((a, b) => a + b, 0) / n[i]);
  const dense = new Set<number>();
  for (;;) {
    let budget = 0;
    let div = 0;
    shapes.forEach((_, i) => {
      if (dense.has(i)) budget -= n[i] * (1 - D);
      else {
        budget += n[i] * D;
        div += raw[i] * n[i];
      }
    });
    const eps = budget / div;
    const over = shapes.map((_, i) => i).filter((i) => !dense.has(i) && raw[i] * eps > 1);
    if (over.length === 0) return shapes.map((_, i) => (dense.has(i) ? 1 : raw[i] * eps));
    const worst = Math.max(...over.map((i) => raw[i]));
    over.filter((i) => raw[i] === worst).forEach((i) => dense.add(i));
  }
}
