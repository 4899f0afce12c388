// Conv shapes the fast cpu conv kernels are checked on against tfjs' own:
// [B, H, W, C_in, C_out, k, stride, padding].
export const CONV_CASES = [
  [2, 5, 5, 3, 4, 3, 1, 'same'],
  [3, 8, 7, 4, 6, 3, 2, 'same'],
  [2, 6, 6, 5, 3, 1, 2, 'same'],
  [1, 9, 9, 2, 2, 3, 2, 'valid'],
  [2, 4, 4, 3, 5, 3, 1, 'valid'],
] as const;
