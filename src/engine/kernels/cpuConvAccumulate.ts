// The inner loop of a conv's backward pass on the host, shared by the cpu gated convs
// (cpuGatedConvHost.ts' dual conv, cpuGatedConvSparse.ts): for one input element x[xi] and
// one tap, a row of n output gradients dy[yi..] against the kernel row w[row..].

/**
 * dx[xi] += Σ_j dy[yi + j]·w[row + j] and dw[row + j] += x[xi]·dy[yi + j] for j < n
 * (dw untouched when x[xi] is 0: adding 0 changes no sum). Called with typed arrays and
 * numbers only, so V8 keeps it monomorphic and inlines it.
 */
export function accumulateBackward(x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, xi: number, row: number, yi: number, n: number): void {
  const xval = x[xi];
  let acc = 0;
  if (xval !== 0) {
    for (let j = 0; j < n; j++) {
      const d = dy[yi + j];
      acc += d * w[row + j];
      dw[row + j] += xval * d;
    }
  } else {
    for (let j = 0; j < n; j++) acc += dy[yi + j] * w[row + j];
  }
  dx[xi] += acc;
}
