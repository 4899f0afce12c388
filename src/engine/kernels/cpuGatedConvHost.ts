// CDG's quantile-gated conv on the host backends (cpu, wasm) as few ops, the conditional
// path computed everywhere and multiplied by the gate: the reference of the other host path,
// cpuGatedConvSparse.ts (which skips closed units), and of the GPU paths' formulas.
// sparsity/cdgGate.ts' gatedConv picks it; the gating maths is in that file's header.
import * as tf from '@tensorflow/tfjs';
import { convForwardInto } from './cpuConv2D';
import { accumulateBackward } from './cpuConvAccumulate';
import { allFinite } from './finiteValues';
import { hostGatedResult, type GatedConvResult, type QuantileGateOptions } from './gatedConvResult';
import { topKGate } from './topKGate';

type GradFn = Parameters<typeof tf.customGrad>[0];

const EPS32 = Math.fround(1e-8);

// The loops of the host path live in top-level functions called with typed arrays and
// numbers only: kept monomorphic, V8 optimises them once. Inside per-call closures they
// were deoptimised again and again when six trainers interleaved (steps up to 3× slower).

interface ConvDims {
  B: number; H: number; W: number; C: number; OH: number; OW: number; K: number; FH: number; FW: number; top: number; left: number; stride: number; cb: number;
}

function dualConvBackward(xs: Float32Array, ws: Float32Array, dz: Float32Array, dx: Float32Array, dw: Float32Array, d: ConvDims): void {
  const { B, H, W, C, OH, OW, K, FH, FW, top, left, stride, cb } = d;
  const K2 = 2 * K;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const zOff = ((b * OH + oy) * OW + ox) * K2;
        for (let fy = 0; fy < FH; fy++) {
          const iy = oy * stride + fy - top;
          if (iy < 0 || iy >= H) continue;
          for (let fx = 0; fx < FW; fx++) {
            const ix = ox * stride + fx - left;
            if (ix < 0 || ix >= W) continue;
            const xOff = ((b * H + iy) * W + ix) * C;
            const wOff = (fy * FW + fx) * C * K;
            for (let c = 0; c < C; c++) accumulateBackward(xs, ws, dz, dx, dw, xOff + c, wOff + c * K, c < cb ? zOff : zOff + K, K);
          }
        }
      }
    }
  }
}

/**
 * Both paths of a gated conv on the cpu backend as ONE op: Z [B, H_o, W_o, 2·C_out] with
 * Z[..., :C_out] = conv(X_b, K_b) and Z[..., C_out:] = conv(X_c, K_c), 'same' padding.
 * Splitting X and K, two convs and their gradients' concats were ~2× the allocations of a
 * dense layer, which made cdg steps uneven under garbage collection. Forward sums run in
 * tfjs' order (filter row, column, input channel), so Z equals tfjs' two convs bit for
 * bit; the gradients are the two convs' (dK as the cpu kernel computes it).
 */
function dualConvCpu(x: tf.Tensor4D, w: tf.Tensor4D, cb: number, stride: number): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, w.shape, stride, 1, 'same', undefined, false, 'channelsLast');
  const d: ConvDims = {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels, OH: info.outHeight, OW: info.outWidth, K: info.outChannels,
    FH: info.filterHeight, FW: info.filterWidth, top: info.padInfo.top, left: info.padInfo.left, stride, cb,
  };
  const f = ((xT: tf.Tensor, wT: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const z = new Float32Array(d.B * d.OH * d.OW * 2 * d.K);
    convForwardInto(xT.dataSync() as Float32Array, wT.dataSync() as Float32Array, z, { ...d, sh: stride, sw: stride }, cb, 2 * d.K);
    save([xT, wT]);
    return {
      value: tf.tensor(z, [d.B, d.OH, d.OW, 2 * d.K], 'float32'),
      gradFunc: (dzT: tf.Tensor, saved: tf.Tensor[]) => {
        const xs = saved[0].dataSync() as Float32Array;
        const ws = saved[1].dataSync() as Float32Array;
        const dx = new Float32Array(xs.length);
        const dw = new Float32Array(ws.length);
        const dz = dzT.dataSync() as Float32Array;
        // The loops skip zero inputs, where tfjs gives 0 · NaN = NaN: a non-finite dz makes
        // every gradient NaN (coarser than tfjs' pattern, never hidden).
        if (!allFinite(dz)) {
          dx.fill(NaN);
          dw.fill(NaN);
        } else dualConvBackward(xs, ws, dz, dx, dw, d);
        return [tf.tensor(dx, saved[0].shape, 'float32'), tf.tensor(dw, saved[1].shape, 'float32')];
      },
    };
  }) as unknown as GradFn;
  return tf.customGrad(f)(x, w) as tf.Tensor4D;
}

interface GateDims {
  /** This branch's first unit in the pooled arrays, its units, units per sample. */
  o: number; m: number; cells: number; G: number; per: number; cout: number; smooth: boolean;
  /** 'detached' gate gradient: closed units pass no gradient to the saliency. */
  detached: boolean;
}

function gateForward(z: Float32Array, gate: Float32Array, y: Float32Array, d: GateDims): void {
  const { o, G, per, cout } = d;
  const C2 = 2 * cout;
  for (let loc = 0, i = 0, v = o; i < y.length; loc += C2) {
    for (let q = 0; q < G; q++, v++) {
      const g = gate[v];
      for (let j = 0, zi = loc + q * per; j < per; j++, i++, zi++) y[i] = z[zi] + Math.fround(z[zi + cout] * g);
    }
  }
}

function gateBackward(dy: Float32Array, zv: Float32Array, dz: Float32Array, gate: Float32Array, sur: Float64Array, raw: Float32Array, D: Float32Array, d: GateDims): void {
  const { o, m, cells, G, per, cout, smooth, detached } = d;
  const C2 = 2 * cout;
  const ds = new Float64Array(smooth ? m : 0);
  for (let loc = 0, i = 0, v = 0; i < dy.length; loc += C2) {
    for (let q = 0; q < G; q++, v++) {
      const g = gate[o + v];
      let dg = 0;
      for (let j = 0, zi = loc + q * per; j < per; j++, i++, zi++) {
        dz[zi] = dy[i];
        dz[zi + cout] = dy[i] * g;
        dg += dy[i] * zv[zi + cout];
      }
      if (smooth) ds[v] = detached && g === 0 ? 0 : dg * sur[o + v];
    }
  }
  if (!smooth) return;
  for (let p0 = 0; p0 < m; p0 += cells) {
    const dd = D[(o + p0) / cells];
    let dot = 0;
    for (let v = p0; v < p0 + cells; v++) dot += ds[v] * raw[o + v];
    const dD = -dot / (dd * dd) / cells;
    for (let v = p0; v < p0 + cells; v++) {
      const dr = (ds[v] / dd + dD) / per;
      const loc = Math.floor(v / G) * C2 + (v % G) * per;
      for (let j = 0, zi = loc; j < per; j++, zi++) dz[zi] += zv[zi] > 0 ? dr : -dr;
    }
  }
}

/**
 * The quantile-gated conv on cpu/wasm, where tfjs' per-op cost (kernel dispatch, tape,
 * scopes, garbage) exceeded the arithmetic of the gate: the tf-op formulation ran ~100
 * extra ops per layer on a tiny cdg step. Each branch's two paths come as one tensor
 * Z = [Y_b | Y_c] (cpu: dualConvCpu; wasm: its own convs, concatenated); the saliencies of
 * all branches and their pooled top-k are computed on the host, and each branch's
 * Y = Y_b + g ⊙ Y_c is ONE op whose gradient is written out. Δ gets no gradient from the
 * quantile gate, so the backward of a branch only needs that branch:
 *   dY_c = dY ⊙ g,   dg = Σ_group dY ⊙ Y_c,   ds = dg · α·σ'(α(s − Δ)),
 *   s = r / D (r = mean over the group of |Y_b|, D = mean of r over the sample + ε):
 *   dr = ds / D − (Σ_sample ds·r / D²) / (H·W·G),   dY_b = dY + dr[group] · sign(Y_b) / (C_out/G).
 * Forward values are those of the tf-op path bit for bit (the same float32 operations in
 * the same order); gradients agree to float32 rounding.
 */
export function gatedConvHost(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number): GatedConvResult {
  const cin = ws[0].shape[2];
  const cout = ws[0].shape[3];
  const alpha = opts.alpha ?? 5;
  const cpu = tf.getBackend() === 'cpu';
  const kernels = new Map<tf.Tensor, tf.Tensor4D[]>();
  const zs: tf.Tensor4D[] = xs.map((x, i) => {
    if (cpu) return dualConvCpu(x, ws[i], cb, stride);
    let wParts = kernels.get(ws[i]);
    if (!wParts) kernels.set(ws[i], (wParts = tf.split(ws[i], [cb, cin - cb], 2) as tf.Tensor4D[]));
    const [xb, xc] = tf.split(x, [cb, cin - cb], 3) as tf.Tensor4D[];
    return tf.concat([tf.conv2d(xb, wParts[0], stride, 'same'), tf.conv2d(xc, wParts[1], stride, 'same')], 3) as tf.Tensor4D;
  });
  const [, H, W] = zs[0].shape;
  const per = cout / G;
  const C2 = 2 * cout;
  const cells = H * W * G; // saliency units per sample
  // Saliency of every branch, pooled in branch order (ties by pooled index).
  const sizes = zs.map((z) => z.shape[0] * cells);
  const n = sizes.reduce((a, b) => a + b, 0);
  const raw = new Float32Array(n);
  const D = new Float32Array(n / cells);
  const sal = new Float32Array(n);
  let u = 0;
  for (const zT of zs) {
    const z = zT.dataSync() as Float32Array;
    const start = u;
    // r = mean over the group of |Y_b| (tfjs' Mean: Σ of x/count), per sample D = mean(r) + ε.
    for (let loc = 0; loc < z.length; loc += C2) {
      for (let q = 0, i = loc; q < G; q++, u++) {
        let acc = 0;
        for (let j = 0; j < per; j++, i++) acc += Math.fround(Math.abs(z[i]) / per);
        raw[u] = acc;
      }
    }
    for (let p0 = start; p0 < u; p0 += cells) {
      let acc = 0;
      for (let v = p0; v < p0 + cells; v++) acc += Math.fround(raw[v] / cells);
      const d = (D[p0 / cells] = Math.fround(Math.fround(acc) + EPS32));
      for (let v = p0; v < p0 + cells; v++) sal[v] = raw[v] / d;
    }
  }
  const k = Math.min(n, Math.max(0, Math.round((opts.density ?? 1) * n)));
  let gate: Float32Array;
  let delta = 0;
  if (k === 0 || k === n) gate = new Float32Array(n).fill(k === 0 ? 0 : 1);
  else ({ gate, delta } = topKGate(sal, k));
  const smooth = k > 0 && k < n; // Δ = ±∞ otherwise: the surrogate derivative is 0
  // ds/dg per unit: α·σ'(α(s − Δ)).
  const sur = new Float64Array(smooth ? n : 0);
  for (let v = 0; v < sur.length; v++) {
    const sig = 1 / (1 + Math.exp(-alpha * (sal[v] - delta)));
    sur[v] = alpha * sig * (1 - sig);
  }

  const ys: tf.Tensor4D[] = [];
  const dens: number[] = [];
  let off = 0;
  let openAll = 0;
  zs.forEach((zT, bi) => {
    const o = off; // this branch's first unit in the pooled arrays
    const m = sizes[bi];
    off += m;
    const gd: GateDims = { o, m, cells, G, per, cout, smooth, detached: opts.gateGradient === 'detached' };
    const f = ((zIn: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
      const y = new Float32Array(zIn.size / 2);
      gateForward(zIn.dataSync() as Float32Array, gate, y, gd);
      save([zIn]);
      return {
        value: tf.tensor(y, [zIn.shape[0], H, W, cout], 'float32'),
        gradFunc: (dyT: tf.Tensor, saved: tf.Tensor[]) => {
          const zv = saved[0].dataSync() as Float32Array;
          const dz = new Float32Array(zv.length);
          const dy = dyT.dataSync() as Float32Array;
          // Closed units take no gradient here ('detached', and Y_c's at closed units), where
          // tfjs gives NaN · 0 = NaN: a non-finite dy is NaN throughout (never hidden).
          if (!allFinite(dy)) dz.fill(NaN);
          else gateBackward(dy, zv, dz, gate, sur, raw, D, gd);
          return tf.tensor(dz, saved[0].shape, 'float32');
        },
      };
    }) as unknown as GradFn;
    ys.push(tf.customGrad(f)(zT) as tf.Tensor4D);
    let open = 0;
    for (let v = o; v < o + m; v++) open += gate[v];
    dens.push(open / m);
    openAll += open;
  });
  const batches = zs.map((z) => z.shape[0]);
  return hostGatedResult({ ys, gate, saliency: sal, branchDensity: dens, open: openAll, k, n, delta, batches, OH: H, OW: W, G, baseChannels: cb });
}
