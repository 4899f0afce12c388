// WGSL bodies of CDG's exact quantile gate on WebGPU (see webgpuSelect.ts). tfjs' program
// header supplies `x` (the pooled saliencies, flat), `result`, `uniforms` (xShape = n, and
// k for the selection) and `localIndex`; each body runs in ONE workgroup of WG invocations.

export const WG = 256;

// Order-preserving map of f32 bits to u32 (larger float ⇒ larger key). NaN maps to −∞'s key
// (host topKGate ranks NaN as −∞, ties with it by index), −0 to +0's (they compare equal).
export const KEY_WGSL = /* wgsl */ `
fn keyOf(v : f32) -> u32 {
  var b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) > 0x7f800000u) { b = 0xff800000u; }
  if (b == 0x80000000u) { b = 0u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}
fn valueOf(key : u32) -> f32 {
  if ((key & 0x80000000u) != 0u) { return bitcast<f32>(key & 0x7fffffffu); }
  return bitcast<f32>(~key);
}
`;

/**
 * gate[i] = 1 for exactly k of the n values: the keys above the k-th largest key K, and
 * the first `rem` (by index) of those equal to K. K by a radix select, 8 bits a pass from
 * the top (a 256-bucket histogram of the keys matching the prefix found so far); the ties'
 * ranks by index from per-invocation counts over contiguous segments and one scan.
 */
export const SELECT_WGSL = /* wgsl */ `
${KEY_WGSL}
var<workgroup> hist : array<atomic<u32>, ${WG}>;
var<workgroup> cnt : array<u32, ${WG}>;
var<workgroup> chosen : vec2<u32>; // (bucket, rem after this pass)

fn main(index : i32) {
  let tid = localIndex;
  let n = u32(uniforms.xShape);
  var rem = u32(uniforms.k);
  var prefix = 0u;
  var mask = 0u;
  for (var p = 0u; p < 4u; p++) {
    let shift = 24u - 8u * p;
    atomicStore(&hist[tid], 0u);
    workgroupBarrier();
    for (var i = tid; i < n; i += ${WG}u) {
      let key = keyOf(x[i]);
      if ((key & mask) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (tid == 0u) {
      // From the top bucket down: the bucket holding the rem-th largest of the candidates.
      var r = rem;
      var b = 255u;
      loop {
        let c = atomicLoad(&hist[b]);
        if (r <= c || b == 0u) { break; }
        r -= c;
        b -= 1u;
      }
      chosen = vec2<u32>(b, r);
    }
    workgroupBarrier();
    let ch = chosen;
    prefix = prefix | (ch.x << shift);
    mask = mask | (255u << shift);
    rem = ch.y;
    workgroupBarrier();
  }
  // prefix = K; rem = how many of the keys equal to K open (the lowest indices).
  let seg = (n + ${WG}u - 1u) / ${WG}u;
  let lo = min(n, tid * seg);
  let hi = min(n, lo + seg);
  var ties = 0u;
  for (var i = lo; i < hi; i++) {
    if (keyOf(x[i]) == prefix) { ties++; }
  }
  cnt[tid] = ties;
  workgroupBarrier();
  if (tid == 0u) {
    var acc = 0u;
    for (var t = 0u; t < ${WG}u; t++) {
      let c = cnt[t];
      cnt[t] = acc;
      acc += c;
    }
  }
  workgroupBarrier();
  var rank = cnt[tid];
  for (var i = lo; i < hi; i++) {
    let key = keyOf(x[i]);
    var isOpen = key > prefix;
    if (key == prefix) {
      isOpen = rank < rem;
      rank++;
    }
    result[i] = select(0.0, 1.0, isOpen);
  }
}
`;

// Δ midway between the smallest open value and the largest closed one, through the keys
// (x values, g gate, both [n]); every invocation of the one workgroup gets it.
const BOUNDARY_FN = /* wgsl */ `
var<workgroup> lowOpen : atomic<u32>;
var<workgroup> highClosed : atomic<u32>;
fn boundaryDelta(tid : u32, n : u32) -> f32 {
  if (tid == 0u) {
    atomicStore(&lowOpen, 0xffffffffu);
    atomicStore(&highClosed, 0u);
  }
  workgroupBarrier();
  var lo = 0xffffffffu;
  var hi = 0u;
  for (var i = tid; i < n; i += ${WG}u) {
    let key = keyOf(x[i]);
    if (g[i] > 0.5) { lo = min(lo, key); } else { hi = max(hi, key); }
  }
  atomicMin(&lowOpen, lo);
  atomicMax(&highClosed, hi);
  workgroupBarrier();
  return (valueOf(atomicLoad(&lowOpen)) + valueOf(atomicLoad(&highClosed))) * 0.5;
}
`;

/**
 * Δ of a gate made by SELECT_WGSL from the same values: midway between the smallest open
 * value (the k-th largest) and the largest closed one (the (k+1)-th), through the keys.
 * Inputs x (values) and g (gate), both [n]; output [1].
 */
export const BOUNDARY_WGSL = /* wgsl */ `
${KEY_WGSL}
${BOUNDARY_FN}
fn main(index : i32) {
  let delta = boundaryDelta(localIndex, u32(uniforms.xShape));
  if (localIndex == 0u) { result[0] = delta; }
}
`;

/**
 * The gate's straight-through gradient in one program: Δ as in BOUNDARY_WGSL, then
 * dx = dy·α·σ(1 − σ), σ = sigmoid(α(x − Δ)) — what tf ops did in ~8 dispatches.
 * Inputs x, g, dy, all [n]; output [n]; uniform alpha.
 */
export const SURROGATE_WGSL = /* wgsl */ `
${KEY_WGSL}
${BOUNDARY_FN}
fn main(index : i32) {
  let tid = localIndex;
  let n = u32(uniforms.xShape);
  let delta = boundaryDelta(tid, n);
  let a = uniforms.alpha;
  for (var i = tid; i < n; i += ${WG}u) {
    let sig = 1.0 / (1.0 + exp(-((x[i] - delta) * a)));
    result[i] = dy[i] * (sig * (1.0 - sig) * a);
  }
}
`;
