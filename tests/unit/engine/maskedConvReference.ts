// The direct float64 convolution the masked-conv kernels are tested against (cpu row-sparse
// kernels in sparseConv.test.ts, the WGSL programs in webgpuSparseConv.test.ts): forward,
// input gradient and weight gradient of conv(x, W ⊙ M) with 'same' padding, by definition.

export interface MaskedConvCase {
  B: number; H: number; W: number; C: number; K: number; F: number; stride: number;
  x: Float32Array; w: Float32Array; m: Float32Array; r: Float32Array;
}

/** 'same' padding as TensorFlow defines it: out = ⌈in / stride⌉, the extra padding at the end. */
export function samePad(inSize: number, f: number, s: number): { out: number; before: number } {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + f - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

/** y, and the gradients of Σ y ⊙ r with respect to x and W, in float64 by definition. */
export function referenceMaskedConv(c: MaskedConvCase): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const { B, H, W, C, K, F, stride, x, w, m, r } = c;
  const ph = samePad(H, F, stride);
  const pw = samePad(W, F, stride);
  const y = new Float64Array(B * ph.out * pw.out * K);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < ph.out; oy++)
      for (let ox = 0; ox < pw.out; ox++)
        for (let k = 0; k < K; k++) {
          const yi = ((b * ph.out + oy) * pw.out + ox) * K + k;
          for (let fy = 0; fy < F; fy++)
            for (let fx = 0; fx < F; fx++) {
              const iy = oy * stride + fy - ph.before;
              const ix = ox * stride + fx - pw.before;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (let ch = 0; ch < C; ch++) {
                const xi = ((b * H + iy) * W + ix) * C + ch;
                const wi = ((fy * F + fx) * C + ch) * K + k;
                y[yi] += x[xi] * w[wi] * m[wi];
                dx[xi] += r[yi] * w[wi] * m[wi];
                dw[wi] += r[yi] * x[xi] * m[wi];
              }
            }
        }
  return { y, dx, dw };
}
