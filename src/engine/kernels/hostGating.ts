// The gating of CDG's quantile-gated conv on the host backends, apart from the convs: the
// saliency from Y_b pooled over the branches, the exact top-k gate with its Δ and surrogate,
// Y = Y_b + g ⊙ Y_c, and the backward through the gate. Shared by cpuGatedConvSparse.ts (its
// convs are JS loops) and wasmGatedConv.ts (XNNPACK's convs); the float32 steps are those of
// gatedConvHost (cpuGatedConvHost.ts), the reference both are tested against.
import * as tf from '@tensorflow/tfjs';
import { topKGate } from './topKGate';
import type { ConvGeometry } from './cpuConv2D';

const EPS32 = Math.fround(1e-8);

/** One branch of the pooled gate: its geometry, first unit in the pooled arrays, units, and the index of its kernel among the distinct kernels. */
export interface GateBranch {
  g: ConvGeometry;
  o: number;
  m: number;
  wi: number;
}

/** The branches' geometries (padding 'same') and where each sits in the pooled arrays. */
export function gateBranches(xs: tf.Tensor4D[], ws: tf.Tensor4D[], stride: number, G: number): { branches: GateBranch[]; distinct: tf.Tensor4D[]; n: number } {
  const distinct = [...new Set(ws)];
  const branches: GateBranch[] = [];
  let n = 0;
  xs.forEach((x, i) => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, ws[i].shape, stride, 1, 'same', undefined, false, 'channelsLast');
    const g: ConvGeometry = {
      B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
      FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, sh: stride, sw: stride,
    };
    const m = g.B * g.OH * g.OW * G;
    branches.push({ g, o: n, m, wi: distinct.indexOf(ws[i]) });
    n += m;
  });
  return { branches, distinct, n };
}

/** The pooled gate of one gated conv call: filled by saliency() per branch, then select(). */
export class PooledGate {
  readonly raw: Float32Array;
  readonly sal: Float32Array;
  private readonly D: Float32Array;
  gate: Float32Array = new Float32Array(0);
  delta = 0;
  private sur = new Float64Array(0);
  readonly k: number;
  /** Δ is finite (some but not all units open): otherwise the surrogate derivative is 0. */
  readonly smooth: boolean;

  constructor(
    readonly n: number,
    /** Units per sample (OH·OW·G). */
    private readonly cells: number,
    private readonly G: number,
    /** Output channels per group. */
    private readonly per: number,
    density: number,
  ) {
    this.raw = new Float32Array(n);
    this.sal = new Float32Array(n);
    this.D = new Float32Array(n / cells);
    this.k = Math.min(n, Math.max(0, Math.round(density * n)));
    this.smooth = this.k > 0 && this.k < n;
  }

  /** The saliency of a branch's units from its Y_b: the group mean of |Y_b| over the sample's mean (tfjs' Mean: Σ of x/count). */
  saliency(yb: Float32Array, o: number): void {
    const { raw, sal, D, G, per, cells } = this;
    let u = o;
    for (let i = 0; i < yb.length; ) {
      for (let q = 0; q < G; q++, u++) {
        let acc = 0;
        for (let j = 0; j < per; j++, i++) acc += Math.fround(Math.abs(yb[i]) / per);
        raw[u] = acc;
      }
    }
    for (let p0 = o; p0 < u; p0 += cells) {
      let acc = 0;
      for (let v = p0; v < p0 + cells; v++) acc += Math.fround(raw[v] / cells);
      const d = (D[p0 / cells] = Math.fround(Math.fround(acc) + EPS32));
      for (let v = p0; v < p0 + cells; v++) sal[v] = raw[v] / d;
    }
  }

  /** The exact top-k gate over every branch's saliencies, Δ, and the surrogate derivative α·σ'(α(s − Δ)). */
  select(alpha: number): void {
    const { n, k, sal } = this;
    if (k === 0 || k === n) this.gate = new Float32Array(n).fill(k === 0 ? 0 : 1);
    else ({ gate: this.gate, delta: this.delta } = topKGate(sal, k));
    this.sur = new Float64Array(this.smooth ? n : 0);
    for (let v = 0; v < this.sur.length; v++) {
      const sig = 1 / (1 + Math.exp(-alpha * (sal[v] - this.delta)));
      this.sur[v] = alpha * sig * (1 - sig);
    }
  }

  /** A fixed Δ (evaluation): g = 1[s > Δ], as tf.greater compares float32 values; no surrogate (nothing trains through it). */
  fix(delta: number): void {
    const { n, sal } = this;
    const d = Math.fround(delta);
    this.gate = new Float32Array(n);
    for (let v = 0; v < n; v++) this.gate[v] = sal[v] > d ? 1 : 0;
    this.delta = delta;
    this.sur = new Float64Array(0);
  }

  /** y[off…] = Y_b + g ⊙ Y_c for branch br; returns its open units. */
  combine(y: Float32Array, off: number, yb: ArrayLike<number>, yc: ArrayLike<number>, br: GateBranch): number {
    const { gate, per } = this;
    let open = 0;
    for (let v = 0, e = 0; v < br.m; v++) {
      const gv = gate[br.o + v];
      open += gv;
      for (let j = 0; j < per; j++, e++) y[off + e] = yb[e] + Math.fround(yc[e] * gv);
    }
    return open;
  }

  /**
   * dY_b and dY_c of branch br from its dY: dY_c = dY ⊙ g; dY_b = dY + the saliency term
   * (dg = Σ dY ⊙ Y_c through the surrogate; 'detached': none at closed units).
   */
  backward(dy: ArrayLike<number>, yb: ArrayLike<number>, yc: ArrayLike<number>, br: GateBranch, detached: boolean): { dyb: Float32Array; dyc: Float32Array } {
    const { gate, sur, raw, D, per, cells, smooth } = this;
    const dyc = new Float32Array(dy.length);
    const dyb = new Float32Array(dy); // a copy (Float32Array.from iterates: ~3x as long)
    const ds = new Float64Array(smooth ? br.m : 0);
    for (let v = 0, e = 0; v < br.m; v++) {
      const gv = gate[br.o + v];
      let dg = 0;
      for (let j = 0; j < per; j++, e++) {
        dyc[e] = dy[e] * gv;
        dg += dy[e] * yc[e];
      }
      if (smooth) ds[v] = detached && gv === 0 ? 0 : dg * sur[br.o + v];
    }
    if (smooth) {
      // s = r / D: dr = ds / D − (Σ_sample ds·r / D²) / cells, dY_b += dr[group] · sign(Y_b) / per.
      for (let p0 = 0; p0 < br.m; p0 += cells) {
        const dd = D[(br.o + p0) / cells];
        let dot = 0;
        for (let v = p0; v < p0 + cells; v++) dot += ds[v] * raw[br.o + v];
        const dD = -dot / (dd * dd) / cells;
        for (let v = p0; v < p0 + cells; v++) {
          const dr = (ds[v] / dd + dD) / per;
          // dr · (+1 or −1), exact, without a branch: Y_b's signs are a coin toss per element,
          // and the mispredicted branch took twice as long as this loop.
          for (let j = 0, e = v * per; j < per; j++, e++) dyb[e] += dr * (+(yb[e] > 0) * 2 - 1);
        }
      }
    }
    return { dyb, dyc };
  }
}
