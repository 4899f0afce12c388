// Conv shapes the fast cpu conv kernels are checked on against tfjs' own:
// [B, H, W, C_in, C_out, k, stride, padding].
export const CONV_CASES = [
  [2, 5, 5, 3, 4, 3, 1, 'same'],
  [3, 8, 7, 4, 6, 3, 2, 'same'],
  [2, 6, 6, 5, 3, 1, 2, 'same'],
  [1, 9, 9, 2, 2, 3, 2, 'valid'],
  [2, 4, 4, 3, 5, 3, 1, 'valid'],
  // C_out a multiple of 4: the forward's blocked loop (convTaps.ts forwardBlocked).
  [2, 7, 6, 3, 8, 3, 2, 'valid'],
  [1, 5, 5, 6, 16, 3, 1, 'same'],
  [2, 6, 5, 4, 12, 1, 2, 'same'],
  // and C_in ≥ 8: the filter gradient's blocked loop too.
  [2, 6, 6, 8, 8, 3, 2, 'same'],
  [1, 5, 4, 9, 12, 3, 1, 'valid'],
  // C_in and C_out multiples of 8: the 8-wide loops (input gradient, forward, filter gradient).
  [2, 6, 5, 16, 8, 3, 2, 'same'],
  [1, 7, 7, 8, 16, 3, 1, 'same'],
] as const;
