// CDG's quantile-gated conv on the host backends (cpu, wasm) that computes the conditional path only
// where it is needed (issue 14, item 3), instead of everywhere and multiplied by the gate
// (gatedConvHost in cpuGatedConvHost.ts, the reference this is tested against):
//   forward   Y_b = conv(X_b, K_b) everywhere (it decides the gate); the saliency, the
//             pooled top-k gate and Δ exactly as the host path; Y_c = conv(X_c, K_c) only
//             at open units with 'detached' (closed units need nothing), everywhere with
//             'ste' (its gate gradient dg = Σ dY ⊙ Y_c needs Y_c at closed units too);
//             Y = Y_b + g ⊙ Y_c.
//   backward  dY_c = dY ⊙ g is 0 at closed units, so dX_c and dK_c are accumulated from
//             the open units only (both modes); dY_b = dY + the saliency term, everywhere.
// A unit is one output location ('spatial') or one (location, channel group): the
// conditional loops skip a whole closed location's taps, or a closed group's channels.
// This is what flops.ts counts: 'detached' all three passes × density, 'ste' the forward
// in full and its two gradient passes × density. All branches are ONE op (the gate pools
// them), its output the branches' Y concatenated along the batch. On wasm these JS loops
// replace XNNPACK's convs for gated layers: at a tiny cdg step they cost less than the
// split, the two convs, the concat and their gradients they replace (docs/bench.md).
import * as tf from '@tensorflow/tfjs';
import { hostGatedResult, type GatedConvResult, type QuantileGateOptions } from './gatedConvResult';
import { topKGate } from './topKGate';
import { convTaps } from './convTaps';
import { accumulateBackward } from './cpuConvAccumulate';
import type { ConvGeometry } from './cpuConv2D';

const EPS32 = Math.fround(1e-8);

type GradFn = Parameters<typeof tf.customGrad>[0];

/**
 * The conv restricted to input channels [c0, c1) and to the groups q whose unit is open
 * (`gate` null: all), in tfjs' order per output (tap, channel). Forward (dx null):
 * y[o, q·per + j] += Σ_c x[i, c]·w[t, c, q·per + j]. Backward (y is dy):
 * dx[i, c] += Σ_k dy[o, k]·w[t, c, k] and dw[t, c, k] += x[i, c]·dy[o, k].
 */
function convRange(x: Float32Array, w: Float32Array, y: Float32Array, dx: Float32Array | null, dw: Float32Array | null, g: ConvGeometry, c0: number, c1: number, gate: Float32Array | null, o: number, G: number): void {
  const { B, H, W, C, OH, OW, K } = g;
  const per = K / G;
  const taps = convTaps(g);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < taps.length; t += 3) {
      const unit = (b * OH * OW + taps[t]) * G;
      const yOff = unit * per;
      const xOff = (b * H * W + taps[t + 1]) * C;
      const wOff = taps[t + 2] * C * K;
      for (let q = 0; q < G; q++) {
        if (gate !== null && gate[o + unit + q] === 0) continue;
        const yq = yOff + q * per;
        if (dx !== null && dw !== null) {
          for (let c = c0; c < c1; c++) accumulateBackward(x, w, y, dx, dw, xOff + c, wOff + c * K + q * per, yq, per);
          continue;
        }
        for (let c = c0; c < c1; c++) {
          const xval = x[xOff + c];
          if (xval === 0) continue; // adding 0 changes no sum
          const row = wOff + c * K + q * per;
          for (let j = 0; j < per; j++) y[yq + j] += xval * w[row + j];
        }
      }
    }
  }
}

/** r (mean over each group of |Y_b|, tfjs' Mean: Σ of x/count) into raw from unit u0; returns the next unit. */
function groupMeans(yb: Float32Array, raw: Float32Array, u0: number, G: number, per: number): number {
  let u = u0;
  for (let i = 0; i < yb.length; ) {
    for (let q = 0; q < G; q++, u++) {
      let acc = 0;
      for (let j = 0; j < per; j++, i++) acc += Math.fround(Math.abs(yb[i]) / per);
      raw[u] = acc;
    }
  }
  return u;
}

interface Branch {
  g: ConvGeometry;
  /** This branch's first unit in the pooled arrays, its units. */
  o: number;
  m: number;
  /** Index of its kernel among the distinct kernels. */
  wi: number;
}

/**
 * The quantile-gated conv of every branch on cpu with the conditional path computed only
 * where needed (file header); same inputs and result as gatedConvHost, cb < C_in.
 */
export function gatedConvCpuSparse(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number): GatedConvResult {
  const alpha = opts.alpha ?? 5;
  const detached = opts.gateGradient === 'detached';
  const distinct = [...new Set(ws)];
  const geo = xs.map((x, i) => {
    const info = tf.backend_util.computeConv2DInfo(x.shape, ws[i].shape, stride, 1, 'same', undefined, false, 'channelsLast');
    return {
      B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
      FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, sh: stride, sw: stride,
    };
  });
  const { OH, OW, K, C } = geo[0];
  const per = K / G;
  const cells = OH * OW * G; // units per sample
  const branches: Branch[] = [];
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const m = geo[i].B * cells;
    branches.push({ g: geo[i], o: n, m, wi: distinct.indexOf(ws[i]) });
    n += m;
  }
  const raw = new Float32Array(n);
  const D = new Float32Array(n / cells);
  const sal = new Float32Array(n);
  let gate: Float32Array = new Float32Array(0);
  let delta = 0;
  let sur = new Float64Array(0);
  const k = Math.min(n, Math.max(0, Math.round((opts.density ?? 1) * n)));
  const smooth = k > 0 && k < n; // Δ = ±∞ otherwise: the surrogate derivative is 0
  const dens: number[] = [];
  let openAll = 0;

  const f = ((...args: unknown[]) => {
    const save = args.pop() as (ts: tf.Tensor[]) => void;
    const ts = args as tf.Tensor[];
    const xv = ts.slice(0, xs.length).map((t) => t.dataSync() as Float32Array);
    const wv = ts.slice(xs.length).map((t) => t.dataSync() as Float32Array);
    // Y_b of every branch, then the saliency pooled in branch order (gatedConvHost's float32 steps).
    const ybs = branches.map((br, i) => {
      const yb = new Float32Array(br.g.B * OH * OW * K);
      convRange(xv[i], wv[br.wi], yb, null, null, br.g, 0, cb, null, 0, 1);
      const u = groupMeans(yb, raw, br.o, G, per);
      for (let p0 = br.o; p0 < u; p0 += cells) {
        let acc = 0;
        for (let v = p0; v < p0 + cells; v++) acc += Math.fround(raw[v] / cells);
        const d = (D[p0 / cells] = Math.fround(Math.fround(acc) + EPS32));
        for (let v = p0; v < p0 + cells; v++) sal[v] = raw[v] / d;
      }
      return yb;
    });
    if (k === 0 || k === n) gate = new Float32Array(n).fill(k === 0 ? 0 : 1);
    else ({ gate, delta } = topKGate(sal, k));
    sur = new Float64Array(smooth ? n : 0);
    for (let v = 0; v < sur.length; v++) {
      const sig = 1 / (1 + Math.exp(-alpha * (sal[v] - delta)));
      sur[v] = alpha * sig * (1 - sig);
    }
    // Y_c where needed (detached: open units; ste: everywhere), then Y = Y_b + g ⊙ Y_c.
    const total = branches.reduce((a, br) => a + br.m * per, 0);
    const y = new Float32Array(total);
    const ycs = branches.map((br, i) => {
      const yc = new Float32Array(br.m * per);
      convRange(xv[i], wv[br.wi], yc, null, null, br.g, cb, C, detached ? gate : null, br.o, G);
      const off = br.o * per;
      for (let v = 0, e = 0; v < br.m; v++) {
        const gv = gate[br.o + v];
        for (let j = 0; j < per; j++, e++) y[off + e] = ybs[i][e] + Math.fround(yc[e] * gv);
      }
      let open = 0;
      for (let v = br.o; v < br.o + br.m; v++) open += gate[v];
      dens.push(open / br.m);
      openAll += open;
      return yc;
    });
    save(ts);
    const B = branches.reduce((a, br) => a + br.g.B, 0);
    return {
      value: tf.tensor4d(y, [B, OH, OW, K]),
      gradFunc: (dyT: tf.Tensor, saved: tf.Tensor[]) => {
        const dyAll = dyT.dataSync() as Float32Array;
        const sx = saved.slice(0, xs.length).map((t) => t.dataSync() as Float32Array);
        const sw = saved.slice(xs.length).map((t) => t.dataSync() as Float32Array);
        const dxs = sx.map((x) => new Float32Array(x.length));
        const dws = sw.map((w) => new Float32Array(w.length));
        branches.forEach((br, i) => {
          const off = br.o * per;
          const dy = dyAll.subarray(off, off + br.m * per);
          const yb = ybs[i];
          const yc = ycs[i];
          const dyc = new Float32Array(dy.length);
          const dyb = Float32Array.from(dy);
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
                for (let j = 0, e = v * per; j < per; j++, e++) dyb[e] += yb[e] > 0 ? dr : -dr;
              }
            }
          }
          convRange(sx[i], sw[br.wi], dyb, dxs[i], dws[br.wi], br.g, 0, cb, null, 0, 1);
          convRange(sx[i], sw[br.wi], dyc, dxs[i], dws[br.wi], br.g, cb, C, gate, br.o, G);
        });
        return [...dxs.map((d, i) => tf.tensor(d, saved[i].shape, 'float32')), ...dws.map((d, i) => tf.tensor(d, saved[xs.length + i].shape, 'float32'))];
      },
    };
  }) as unknown as GradFn;
  const yAll = tf.customGrad(f)(...xs, ...distinct) as tf.Tensor4D;
  const sizes = xs.map((x) => x.shape[0]);
  const ys = sizes.length === 1 ? [yAll] : (tf.split(yAll, sizes, 0) as tf.Tensor4D[]);
  return hostGatedResult({ ys, gate, saliency: sal, branchDensity: dens, open: openAll, k, n, delta, batches: sizes, OH, OW, G, baseChannels: cb });
}
