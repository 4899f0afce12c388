// The exact quantile gate on the host (cpu/wasm paths of CDG; the reference the GPU
// selections, webgpuSelect.ts and webglSelect.ts, are tested against).

/**
 * The exact selection of the quantile gate on values held in host memory: the k largest
 * values open (ties broken by lower index, so exactly k are open), Δ midway between the
 * k-th and (k+1)-th largest. One sort of a copy of the values (the pooled saliencies of
 * one layer: a few thousand numbers); the same result as tfjs' topk + scatter.
 * Needs 0 < k < values.length. NaN ranks last.
 */
export function topKGate(values: ArrayLike<number>, k: number): { gate: Float32Array; delta: number } {
  const n = values.length;
  if (!(Number.isInteger(k) && k > 0 && k < n)) throw new Error(`topKGate: k must be an integer in (0, ${n}) (got ${k})`);
  // Float32Array when the values are float32 (half the copy), else exact in float64.
  const sorted = values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = Number.isNaN(values[i]) ? -Infinity : values[i];
  sorted.sort();
  const t = sorted[n - k]; // the k-th largest
  const next = sorted[n - k - 1]; // the (k+1)-th largest
  let ties = k;
  for (let i = 0; i < n; i++) if (values[i] > t) ties--;
  const gate = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v > t) gate[i] = 1;
    else if (ties > 0 && (v === t || (t === -Infinity && Number.isNaN(v)))) {
      gate[i] = 1;
      ties--;
    }
  }
  return { gate, delta: Math.fround((Math.fround(t) + Math.fround(next)) * 0.5) };
}
