// Per-layer weight densities for one global target density D over a list of layer
// shapes (tfjs layouts: conv [kh, kw, C_in, C_out], linear [in, out]). Uniform: every
// layer at D. ERK (Erdős–Rényi-Kernel, as in the RigL reference): d_l = ε·raw_l with
// raw_l = (Σ dims / Π dims)^powerScale, ε chosen so Σ d_l·n_l = D·Σ n_l; layers whose
// density would exceed 1 are made dense and ε is recomputed for the rest, iteratively.

import { checkShape, checkUnit, fail } from './validate';

export type BudgetMode = 'uniform' | 'erk' | 'global';

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShapes(fn: string, shapes: readonly (readonly number[])[]): void {
  if (!Array.isArray(shapes)) fail(fn, `shapes must be an array of shapes (got shapes=${String(shapes)})`);
  shapes.forEach((s, i) => checkShape(fn, `shapes[${i}]`, s));
}

/** Every layer at the global density. */
export function uniformDensities(shapes: readonly (readonly number[])[], density: number): number[] {
  checkShapes('uniformDensities', shapes);
  checkUnit('uniformDensities', 'density', density);
  return shapes.map(() => density);
}

export interface ErkOptions {
  /** Exponent on (Σ dims / Π dims); 1 is ERK (RigL's erk_power_scale). */
  powerScale?: number;
}

/**
 * Erdős–Rényi-Kernel densities: Σ d_l·n_l = D·Σ n_l, every d_l ∈ [0, 1]. Follows the
 * RigL reference loop: compute ε over the non-dense layers with the dense layers'
 * zeros subtracted from the budget; if max raw·ε > 1, mark the layer(s) with the largest
 * raw score dense and repeat.
 */
export function erkDensities(shapes: readonly (readonly number[])[], density: number, opts: ErkOptions = {}): number[] {
  const fn = 'erkDensities';
  checkShapes(fn, shapes);
  checkUnit(fn, 'density', density);
  const powerScale = opts.powerScale ?? 1;
  if (!Number.isFinite(powerScale) || powerScale < 0) {
    fail(fn, `powerScale must be a non-negative number (got powerScale=${String(powerScale)})`);
  }
  const sizes = shapes.map(numel);
  const raw = shapes.map((s) => Math.pow(s.reduce((a, b) => a + b, 0) / numel(s), powerScale));
  const dense = new Set<number>();
  let eps = 0;
  for (;;) {
    let rhs = 0;
    let divisor = 0;
    for (let l = 0; l < shapes.length; l++) {
      if (dense.has(l)) rhs -= sizes[l] * (1 - density);
      else {
        rhs += sizes[l] * density;
        divisor += raw[l] * sizes[l];
      }
    }
    if (divisor === 0) break; // every layer dense (only when density = 1)
    eps = rhs / divisor;
    let maxRaw = -Infinity;
    for (let l = 0; l < shapes.length; l++) if (!dense.has(l)) maxRaw = Math.max(maxRaw, raw[l]);
    if (maxRaw * eps <= 1) break;
    for (let l = 0; l < shapes.length; l++) if (!dense.has(l) && raw[l] === maxRaw) dense.add(l);
  }
  return shapes.map((_, l) => (dense.has(l) ? 1 : Math.min(1, Math.max(0, eps * raw[l]))));
}

/** Short aliases matching the mode names. */
export const uniform = uniformDensities;
export const erk = erkDensities;

/**
 * Densities for a budget mode. 'global' returns the uniform densities: in global mode
 * the caller ranks all layers together (globalTopKArrays), so the realised
 * per-layer densities are only known from the masks; this value is for reporting the
 * target (every layer's share equals D on average).
 */
export function layerDensities(
  mode: BudgetMode,
  shapes: readonly (readonly number[])[],
  density: number,
  opts: ErkOptions = {},
): number[] {
  switch (mode) {
    case 'uniform':
    case 'global':
      return uniformDensities(shapes, density);
    case 'erk':
      return erkDensities(shapes, density, opts);
    default:
      return fail('layerDensities', `mode must be 'uniform', 'erk' or 'global' (got mode=${String(mode)})`);
  }
}
