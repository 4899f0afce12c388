// The cpu conv loops skip zero inputs (post-ReLU activations: adding 0 · w changes no sum).
// That holds only while the other factor is finite: 0 · NaN and 0 · ∞ are NaN, and tfjs'
// kernels propagate them. A kernel whose other operand holds one goes to tfjs' own kernel,
// so a diverging run's NaN reaches the loss as it would without the fast kernels (CDG's host
// backwards instead make every gradient NaN: coarser, never hidden).

/** Whether every value is finite (x − x is NaN exactly for NaN and ±∞). */
export function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] - v[i] !== 0) return false;
  return true;
}
