// Argument checks shared by the sparsity library: densities and fractions in [0, 1],
// non-negative / positive integers, N:M pairs and tfjs conv kernel shapes
// [kh, kw, C_in, C_out]. Every failure throws an Error naming the function, the
// argument and the value it got.

export function fail(fn: string, message: string): never {
  throw new Error(`${fn}: ${message}`);
}

/** A density or fraction: a finite number in [0, 1]. */
export function checkUnit(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    fail(fn, `${name} must be a number in [0, 1] (got ${name}=${String(value)})`);
  }
}

export function checkFinite(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(fn, `${name} must be a finite number (got ${name}=${String(value)})`);
  }
}

export function checkInteger(fn: string, name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
    fail(fn, `${name} must be ${what} (got ${name}=${String(value)})`);
  }
}

/** N kept out of every M: integers with 0 ≤ n ≤ m and m ≥ 1. */
export function checkNM(fn: string, n: number, m: number): void {
  checkInteger(fn, 'n', n, 0);
  checkInteger(fn, 'm', m, 1);
  if (n > m) fail(fn, `n must be ≤ m (got n=${n}, m=${m})`);
}

/** A shape: a list of positive integers, of the given rank when one is given. */
export function checkShape(fn: string, name: string, shape: readonly number[], rank?: number): void {
  if (!Array.isArray(shape)) fail(fn, `${name} must be an array of positive integers (got ${name}=${String(shape)})`);
  if (rank !== undefined && shape.length !== rank) {
    fail(fn, `${name} must have rank ${rank} (got ${name}=[${shape.join(', ')}])`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
      fail(fn, `${name} must contain positive integers only (got ${name}=[${shape.join(', ')}])`);
    }
  }
}

/** Number kept for a density over n items: round(density · n), as the design specifies. */
export function keptCount(density: number, n: number): number {
  return Math.round(density * n);
}

/**
 * keptCount for a layer's mask: at least one kept when the density is above 0. A layer
 * keeping nothing computes zeros, and a network of them (a very low density, whose
 * round(d·n) is 0 in every layer) gives zero features, whose normalisation is NaN.
 */
export function keptInLayer(density: number, n: number): number {
  return density > 0 && n > 0 ? Math.max(1, keptCount(density, n)) : keptCount(density, n);
}
