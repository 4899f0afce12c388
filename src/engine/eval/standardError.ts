// The noise of one accuracy figure (no tfjs here: the page imports it for the kNN panel).

/**
 * Standard error of an accuracy p measured on n independent test images, sqrt(p(1−p)/n)
 * (binomial): the noise of one kNN figure. n ≥ 1112 keeps it ≤ 1.5 points at any p.
 */
export function accuracyStandardError(p: number, n: number): number {
  return n > 0 ? Math.sqrt(Math.max(0, p * (1 - p)) / n) : NaN;
}

/** Test images needed for a standard error ≤ `se` at the worst case p = 1/2. */
export function testImagesForStandardError(se: number): number {
  return Math.ceil(0.25 / (se * se));
}
