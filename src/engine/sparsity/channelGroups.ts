// How many channel groups a CDG layer gates: pure, so the config (reading runs saved before
// groups had to divide every width) counts them as the gated conv does.

/** Largest divisor of c that is ≤ groups (so groups tile the output channels exactly). */
export function effectiveGroups(cOut: number, groups: number): number {
  for (let g = Math.min(groups, cOut); g > 1; g--) if (cOut % g === 0) return g;
  return 1;
}
