// GLSL bodies of CDG's gating on WebGL (see webglGatedConv.ts), the gate programs of
// webgpuGatedConv.wgsl.ts in fragment-shader form: one output texel an invocation, no shared
// memory, so a per-sample reduction is its own program. Every tensor is handed over flat
// (1-D): tfjs' header then gives `int getOutputCoords()`, `float getX(int)` for an input
// named x, and `setOutput(float)`. Shapes are baked in as constants (the program key names
// them). Y_b and Y_c are [B, OH, OW, K] each (tfjs' convs of the two input segments).
import type { GateShape } from './webgpuGatedConv.wgsl';

export type { GateShape };

/** `float ybAt(int p, int i)`: element i of pooled sample p's Y_b, over the branch inputs yb0, yb1, …. */
function pickGLSL(batches: number[]): string {
  const starts = batches.map((_, i) => batches.slice(0, i).reduce((a, b) => a + b, 0));
  const lines = starts.map((s, i) =>
    i === batches.length - 1 ? `  return getYb${i}((p - ${s}) * HW * K + i);` : `  if (p < ${starts[i + 1]}) { return getYb${i}((p - ${s}) * HW * K + i); }`,
  );
  return `float ybAt(int p, int i) {\n${lines.join('\n')}\n}`;
}

const gateConsts = (g: GateShape) => `
const int HW = ${g.HW}; const int K = ${g.K}; const int G = ${g.G}; const int PER = ${g.per};
const int CELLS = ${g.HW * g.G};
`;

/** D [pooled samples]: mean over the sample's units of r (mean over a group of |Y_b|), + ε. Inputs yb0, yb1, …. */
export const sampleMeanGLSL = (g: GateShape, eps: number) => `
${gateConsts(g)}
${pickGLSL(g.batches)}
void main() {
  int p = getOutputCoords();
  float acc = 0.0;
  for (int v = 0; v < CELLS; v++) {
    int base = v * PER;
    float r = 0.0;
    for (int j = 0; j < PER; j++) { r += abs(ybAt(p, base + j)) / float(PER); }
    acc += r / float(CELLS);
  }
  setOutput(acc + ${eps.toExponential()});
}
`;

/** s [pooled units] = r / D of its sample. Inputs yb0, yb1, …, d. */
export const saliencyGLSL = (g: GateShape) => `
${gateConsts(g)}
${pickGLSL(g.batches)}
void main() {
  int u = getOutputCoords();
  int p = u / CELLS;
  int v = u % CELLS;
  int base = v * PER;
  float r = 0.0;
  for (int j = 0; j < PER; j++) { r += abs(ybAt(p, base + j)) / float(PER); }
  setOutput(r / getD(p));
}
`;

/** Y = Y_b + g ⊙ Y_c for one branch; g is the pooled gate, this branch's units from unit O. Inputs yb, yc, g. */
export const applyGLSL = (g: GateShape, o: number) => `
${gateConsts(g)}
void main() {
  int index = getOutputCoords();
  setOutput(getYb(index) + getYc(index) * getG(${o} + index / PER));
}
`;

/**
 * ds [this branch's units] = dg · α·σ(1 − σ) at α(s − Δ), dg = Σ_group dY ⊙ Y_c; 0 at a
 * closed unit when detached. Inputs dy, yc, s, g (pooled), delta [1].
 */
export const gateDsGLSL = (g: GateShape, o: number, detached: boolean) => `
${gateConsts(g)}
void main() {
  int v = getOutputCoords();
  float dg = 0.0;
  for (int j = 0; j < PER; j++) { dg += getDy(v * PER + j) * getYc(v * PER + j); }
  float gv = getG(${o} + v);
  float sig = 1.0 / (1.0 + exp(-((getS(${o} + v) - getDelta(0)) * alpha)));
  setOutput(${detached ? 'gv < 0.5 ? 0.0 : ' : ''}dg * (sig * (1.0 - sig) * alpha));
}
`;

/** Per sample b: [2b] = D (mean of r, + ε), [2b + 1] = Σ ds·r. Inputs yb, ds. */
export const gateStatsGLSL = (g: GateShape, eps: number) => `
${gateConsts(g)}
void main() {
  int o = getOutputCoords();
  int b = o / 2;
  float accR = 0.0;
  float accD = 0.0;
  for (int v = 0; v < CELLS; v++) {
    int base = (b * CELLS + v) * PER;
    float r = 0.0;
    for (int j = 0; j < PER; j++) { r += abs(getYb(base + j)) / float(PER); }
    accR += r / float(CELLS);
    accD += getDs(b * CELLS + v) * r;
  }
  setOutput(o % 2 == 0 ? accR + ${eps.toExponential()} : accD);
}
`;

/**
 * dY_b of one branch = dY + dr[group]·sign(Y_b) (sign 1 for > 0, else −1: tfjs' Abs
 * gradient), dr = (ds / D − (Σ_sample ds·r / D²) / cells) / per. Inputs dy, yb, ds, stats.
 */
export const gateBackwardBaseGLSL = (g: GateShape) => `
${gateConsts(g)}
void main() {
  int index = getOutputCoords();
  int v = index / PER;
  int b = v / CELLS;
  float dd = getStats(2 * b);
  float dD = -getStats(2 * b + 1) / (dd * dd) / float(CELLS);
  float dr = (getDs(v) / dd + dD) / float(PER);
  setOutput(getDy(index) + (getYb(index) > 0.0 ? dr : -dr));
}
`;

/** dY_c of one branch = dY ⊙ g. Inputs dy, g (pooled). */
export const gateBackwardCondGLSL = (g: GateShape, o: number) => `
${gateConsts(g)}
void main() {
  int index = getOutputCoords();
  setOutput(getDy(index) * getG(${o} + index / PER));
}
`;
