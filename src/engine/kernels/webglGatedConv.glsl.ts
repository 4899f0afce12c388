// GLSL bodies of CDG's gated conv on WebGL (see webglGatedConv.ts), the WGSL programs of
// webgpuGatedConv.wgsl.ts in fragment-shader form: one output texel an invocation, no shared
// memory, so a per-sample reduction is its own program. Every tensor is handed over flat
// (1-D): tfjs' header then gives `int getOutputCoords()`, `float getX(int)` for an input
// named x, and `setOutput(float)`. Shapes are baked in as constants (the program key names
// them). Z = [Y_b | Y_c] is [B, OH, OW, 2K]: channels below K from input channels < CB, the
// rest from input channels ≥ CB (the file header of sparsity/cdg.ts).
import type { ConvShape, GateShape } from './webgpuGatedConv.wgsl';

export type { ConvShape, GateShape };

const consts = (d: ConvShape) => `
const int B = ${d.B}; const int H = ${d.H}; const int W = ${d.W}; const int C = ${d.C};
const int OH = ${d.OH}; const int OW = ${d.OW}; const int K = ${d.K}; const int K2 = ${2 * d.K};
const int FH = ${d.FH}; const int FW = ${d.FW}; const int PT = ${d.top}; const int PL = ${d.left};
const int S = ${d.stride}; const int CB = ${d.cb};
`;

/** Z[b, oy, ox, k2]: the dense conv's sum restricted to the input segment of k2's half. Inputs x, w. */
export const dualConvGLSL = (d: ConvShape) => `
${consts(d)}
void main() {
  int index = getOutputCoords();
  int k2 = index % K2;
  int pix = index / K2;
  int ox = pix % OW;
  int oy = (pix / OW) % OH;
  int b = pix / (OW * OH);
  int k = k2 % K;
  int c0 = k2 < K ? 0 : CB;
  int c1 = k2 < K ? CB : C;
  float acc = 0.0;
  for (int fy = 0; fy < FH; fy++) {
    int iy = oy * S + fy - PT;
    if (iy < 0 || iy >= H) { continue; }
    for (int fx = 0; fx < FW; fx++) {
      int ix = ox * S + fx - PL;
      if (ix < 0 || ix >= W) { continue; }
      int xo = ((b * H + iy) * W + ix) * C;
      int wo = (fy * FW + fx) * C * K + k;
      for (int c = c0; c < c1; c++) { acc += getX(xo + c) * getW(wo + c * K); }
    }
  }
  setOutput(acc);
}
`;

/** dX[b, iy, ix, c] = Σ over the taps that read it of dZ (c's half) · W. Inputs dz, w. */
export const dualConvDxGLSL = (d: ConvShape) => `
${consts(d)}
void main() {
  int index = getOutputCoords();
  int c = index % C;
  int ix = (index / C) % W;
  int iy = (index / (C * W)) % H;
  int b = index / (C * W * H);
  int seg = c < CB ? 0 : K;
  float acc = 0.0;
  for (int fy = 0; fy < FH; fy++) {
    int ty = iy + PT - fy;
    if (ty < 0 || ty % S != 0) { continue; }
    int oy = ty / S;
    if (oy >= OH) { continue; }
    for (int fx = 0; fx < FW; fx++) {
      int tx = ix + PL - fx;
      if (tx < 0 || tx % S != 0) { continue; }
      int ox = tx / S;
      if (ox >= OW) { continue; }
      int zo = ((b * OH + oy) * OW + ox) * K2 + seg;
      int wo = ((fy * FW + fx) * C + c) * K;
      for (int k = 0; k < K; k++) { acc += getDz(zo + k) * getW(wo + k); }
    }
  }
  setOutput(acc);
}
`;

/** dW[fy, fx, c, k] = Σ over samples and output pixels of X · dZ (c's half). Inputs x, dz. */
export const dualConvDwGLSL = (d: ConvShape) => `
${consts(d)}
void main() {
  int index = getOutputCoords();
  int k = index % K;
  int c = (index / K) % C;
  int fx = (index / (K * C)) % FW;
  int fy = index / (K * C * FW);
  int seg = c < CB ? 0 : K;
  // Output rows/columns whose tap (fy, fx) stays inside the input (numerators kept ≥ 0).
  int oy0 = PT - fy > 0 ? (PT - fy + S - 1) / S : 0;
  int ox0 = PL - fx > 0 ? (PL - fx + S - 1) / S : 0;
  int ny = H - 1 + PT - fy;
  int nx = W - 1 + PL - fx;
  int oy1 = ny >= 0 ? min(OH, ny / S + 1) : 0;
  int ox1 = nx >= 0 ? min(OW, nx / S + 1) : 0;
  float acc = 0.0;
  for (int b = 0; b < B; b++) {
    for (int oy = oy0; oy < oy1; oy++) {
      int iy = oy * S + fy - PT;
      for (int ox = ox0; ox < ox1; ox++) {
        int ix = ox * S + fx - PL;
        acc += getX(((b * H + iy) * W + ix) * C + c) * getDz(((b * OH + oy) * OW + ox) * K2 + seg + k);
      }
    }
  }
  setOutput(acc);
}
`;

/** `float zAt(int p, int i)`: element i of pooled sample p's Z, over the branch inputs z0, z1, …. */
function pickGLSL(batches: number[]): string {
  const starts = batches.map((_, i) => batches.slice(0, i).reduce((a, b) => a + b, 0));
  const lines = starts.map((s, i) =>
    i === batches.length - 1 ? `  return getZ${i}((p - ${s}) * HW * K2 + i);` : `  if (p < ${starts[i + 1]}) { return getZ${i}((p - ${s}) * HW * K2 + i); }`,
  );
  return `float zAt(int p, int i) {\n${lines.join('\n')}\n}`;
}

const gateConsts = (g: GateShape) => `
const int HW = ${g.HW}; const int K = ${g.K}; const int K2 = ${2 * g.K}; const int G = ${g.G}; const int PER = ${g.per};
const int CELLS = ${g.HW * g.G};
`;

/** D [pooled samples]: mean over the sample's units of r (mean over a group of |Y_b|), + ε. Inputs z0, z1, …. */
export const sampleMeanGLSL = (g: GateShape, eps: number) => `
${gateConsts(g)}
${pickGLSL(g.batches)}
void main() {
  int p = getOutputCoords();
  float acc = 0.0;
  for (int v = 0; v < CELLS; v++) {
    int base = (v / G) * K2 + (v % G) * PER;
    float r = 0.0;
    for (int j = 0; j < PER; j++) { r += abs(zAt(p, base + j)) / float(PER); }
    acc += r / float(CELLS);
  }
  setOutput(acc + ${eps.toExponential()});
}
`;

/** s [pooled units] = r / D of its sample. Inputs z0, z1, …, d. */
export const saliencyGLSL = (g: GateShape) => `
${gateConsts(g)}
${pickGLSL(g.batches)}
void main() {
  int u = getOutputCoords();
  int p = u / CELLS;
  int v = u % CELLS;
  int base = (v / G) * K2 + (v % G) * PER;
  float r = 0.0;
  for (int j = 0; j < PER; j++) { r += abs(zAt(p, base + j)) / float(PER); }
  setOutput(r / getD(p));
}
`;

/** Y = Y_b + g ⊙ Y_c for one branch; g is the pooled gate, this branch's units from unit O. Inputs z, g. */
export const applyGLSL = (g: GateShape, o: number) => `
${gateConsts(g)}
void main() {
  int index = getOutputCoords();
  int k = index % K;
  int pix = index / K;
  int zi = pix * K2 + k;
  setOutput(getZ(zi) + getZ(zi + K) * getG(${o} + pix * G + k / PER));
}
`;

/**
 * ds [this branch's units] = dg · α·σ(1 − σ) at α(s − Δ), dg = Σ_group dY ⊙ Y_c; 0 at a
 * closed unit when detached. Inputs dy, z, s, g (pooled), delta [1].
 */
export const gateDsGLSL = (g: GateShape, o: number, detached: boolean) => `
${gateConsts(g)}
void main() {
  int v = getOutputCoords();
  int pix = v / G;
  int q = v % G;
  float dg = 0.0;
  for (int j = 0; j < PER; j++) { dg += getDy(pix * K + q * PER + j) * getZ(pix * K2 + K + q * PER + j); }
  float gv = getG(${o} + v);
  float sig = 1.0 / (1.0 + exp(-((getS(${o} + v) - getDelta(0)) * alpha)));
  setOutput(${detached ? 'gv < 0.5 ? 0.0 : ' : ''}dg * (sig * (1.0 - sig) * alpha));
}
`;

/** Per sample b: [2b] = D (mean of r, + ε), [2b + 1] = Σ ds·r. Inputs z, ds. */
export const gateStatsGLSL = (g: GateShape, eps: number) => `
${gateConsts(g)}
void main() {
  int o = getOutputCoords();
  int b = o / 2;
  float accR = 0.0;
  float accD = 0.0;
  for (int v = 0; v < CELLS; v++) {
    int base = (b * HW + v / G) * K2 + (v % G) * PER;
    float r = 0.0;
    for (int j = 0; j < PER; j++) { r += abs(getZ(base + j)) / float(PER); }
    accR += r / float(CELLS);
    accD += getDs(b * CELLS + v) * r;
  }
  setOutput(o % 2 == 0 ? accR + ${eps.toExponential()} : accD);
}
`;

/**
 * dZ of one branch: dZ_c = dY ⊙ g; dZ_b = dY + dr[group]·sign(Y_b) (sign 1 for > 0, else −1:
 * tfjs' Abs gradient), dr = (ds / D − (Σ_sample ds·r / D²) / cells) / per. smooth = false
 * (Δ = ±∞): dZ_b = dY. Inputs dy, z, g (pooled), and when smooth ds, stats.
 */
export const gateBackwardGLSL = (g: GateShape, o: number, smooth: boolean) => `
${gateConsts(g)}
void main() {
  int index = getOutputCoords();
  int k2 = index % K2;
  int pix = index / K2;
  int k = k2 % K;
  int v = pix * G + k / PER;
  float d = getDy(pix * K + k);
  if (k2 >= K) { setOutput(d * getG(${o} + v)); return; }
  ${
    smooth
      ? `int b = pix / HW;
  float dd = getStats(2 * b);
  float dD = -getStats(2 * b + 1) / (dd * dd) / float(CELLS);
  float dr = (getDs(v) / dd + dD) / float(PER);
  setOutput(d + (getZ(index) > 0.0 ? dr : -dr));`
      : 'setOutput(d);'
  }
}
`;
