// The exact quantile gate on the host (cpu/wasm paths of CDG; the reference the GPU
// selections, webgpuSelect.ts and webglSelect.ts, are tested against).

/**
 * The exact selection of the quantile gate on values held in host memory: the k largest
 * values open (ties broken by lower index, so exactly k are open), Δ midway between the
 * k-th and (k+1)-th largest. One selection over a copy of the values (the pooled saliencies of
 * one layer: a few thousand numbers); the same result as tfjs' topk + scatter.
 * Needs 0 < k < values.length. NaN ranks last.
 */
export function topKGate(values: ArrayLike<number>, k: number): { gate: Float32Array; delta: number } {
  const n = values.length;
  if (!(Number.isInteger(k) && k > 0 && k < n)) throw new Error(`topKGate: k must be an integer in (0, ${n}) (got ${k})`);
  // Float32Array when the values are float32 (half the copy), else exact in float64.
  const a = values instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Number.isNaN(values[i]) ? -Infinity : values[i];
  // The values an ascending sort puts at n − k and n − k − 1, by selection instead of a sort
  // (linear time; the sort of a layer's few thousand saliencies was ~1 % of a cdg cpu step).
  const j = n - k;
  selectInPlace(a, j);
  const t = a[j]; // the k-th largest
  let next = a[0]; // the (k+1)-th largest: the largest of a[0 … j), all ≤ t
  for (let i = 1; i < j; i++) if (a[i] > next) next = a[i];
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

/**
 * Reorders a so that a[j] holds the value an ascending sort puts there, with every value
 * before it ≤ a[j] and every value after it ≥ a[j] (Wirth's selection: partitions around
 * the value at j until j's partition is one element; equal values stop both scans, so ties
 * cost no more than distinct values).
 */
function selectInPlace(a: Float32Array | Float64Array, j: number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[j];
    let i = lo;
    let r = hi;
    do {
      while (a[i] < pivot) i++;
      while (pivot < a[r]) r--;
      if (i <= r) {
        const tmp = a[i];
        a[i] = a[r];
        a[r] = tmp;
        i++;
        r--;
      }
    } while (i <= r);
    if (r < j) lo = i;
    if (j < i) hi = r;
  }
}
