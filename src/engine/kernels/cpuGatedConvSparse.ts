// CDG's quantile-gated conv on the cpu backend that computes the conditional path only
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
// them), its output the branches' Y concatenated along the batch. The gating between the
// convs is hostGating.ts; wasm runs it around XNNPACK's forward conv (wasmGatedConv.ts).
import * as tf from '@tensorflow/tfjs';
import { hostGatedResult, type GatedConvResult, type QuantileGateOptions } from './gatedConvResult';
import { convRange } from './hostConvRange';
import { readNow } from './hostView';
import { take } from './cpuArrayPool';
import { gateBranches, PooledGate, type GateBranch } from './hostGating';
import { allFinite } from './finiteValues';

type GradFn = Parameters<typeof tf.customGrad>[0];

function allZero(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}

/**
 * How a host gated conv computes each branch's Y_b and Y_c in the forward pass (made per call,
 * see MakeHostForward): base(i) before the gate is chosen, cond(i) after (the gate is then in
 * pool.gate).
 */
export interface HostForward {
  base(i: number, br: GateBranch): Float32Array;
  cond(i: number, br: GateBranch): Float32Array;
}
/** Made per call from the op's inputs: the branches' xs, then the distinct kernels (each reads the values it needs). */
export type MakeHostForward = (xs: tf.Tensor4D[], ws: tf.Tensor4D[], branches: GateBranch[], pool: PooledGate) => HostForward;

/** cpu: both halves as JS loops over the input channel ranges; Y_c only at open units with 'detached', a gate without gradient, or a forward-only branch (exported for its test). */
export const cpuForward =
  (cb: number, G: number, detached: boolean, forwardOnly: readonly boolean[] = []): MakeHostForward =>
  (xs, ws, _branches, pool) => {
    const xv = xs.map((t) => t.dataSync() as Float32Array);
    const wv = ws.map((t) => t.dataSync() as Float32Array);
    return {
      base: (i, br) => {
        const yb = new Float32Array(br.m * (br.g.K / G));
        convRange(xv[i], wv[br.wi], yb, null, null, br.g, 0, cb, null, 0, 1);
        return yb;
      },
      cond: (i, br) => {
        const yc = new Float32Array(br.m * (br.g.K / G));
        // A gate with no gradient (detached; a quantile gate at k = 0 or n, whose surrogate is
        // 0) needs Y_c only where it opens: at k = 0 nowhere, at k = n everywhere.
        convRange(xv[i], wv[br.wi], yc, null, null, br.g, cb, br.g.C, detached || forwardOnly[i] || !pool.smooth ? pool.gate : null, br.o, G);
        return yc;
      },
    };
  };

/**
 * The forward of a host gated conv: Y_b of every branch, its saliency pooled in branch order,
 * the gate (`choose`), then Y_c and Y = Y_b + g ⊙ Y_c into one array of `size`; each branch's
 * open share is pushed to `dens`.
 */
export function gatedForward(forward: HostForward, branches: GateBranch[], pool: PooledGate, size: number, choose: () => void, dens: number[]): { y: Float32Array; ybs: Float32Array[]; ycs: Float32Array[]; open: number } {
  const ybs = branches.map((br, i) => {
    const yb = forward.base(i, br);
    pool.saliency(yb, br.o);
    return yb;
  });
  choose();
  const y = take(size);
  const per = size / pool.n;
  let open = 0;
  const ycs = branches.map((br, i) => {
    const yc = forward.cond(i, br);
    const o = pool.combine(y, br.o * per, ybs[i], yc, br);
    dens.push(o / br.m);
    open += o;
    return yc;
  });
  return { y, ybs, ycs, open };
}

/**
 * The quantile-gated conv of every branch on cpu with the conditional path computed only
 * where needed (file header); same inputs and result as gatedConvHost, cb < C_in.
 */
export function gatedConvCpuSparse(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number): GatedConvResult {
  return gatedConvOnHost(xs, ws, opts, cb, G, stride, cpuForward(cb, G, opts.gateGradient === 'detached', opts.forwardOnly));
}

/**
 * A host gated conv (cpu, wasm) around `forward`: the saliency pooled over the branches, the
 * exact top-k gate, Y = Y_b + g ⊙ Y_c, and the backward as JS loops (dX_c, dK_c from open
 * units only), as one op whose output is the branches' Y concatenated along the batch.
 */
export function gatedConvOnHost(xs: tf.Tensor4D[], ws: tf.Tensor4D[], opts: QuantileGateOptions, cb: number, G: number, stride: number, makeForward: MakeHostForward): GatedConvResult {
  const alpha = opts.alpha ?? 5;
  const detached = opts.gateGradient === 'detached';
  const { branches, distinct, n } = gateBranches(xs, ws, stride, G);
  const { OH, OW, K, C } = branches[0].g;
  const per = K / G;
  const pool = new PooledGate(n, OH * OW * G, G, per, opts.density ?? 1);
  const dens: number[] = [];
  let openAll = 0;

  const f = ((...args: unknown[]) => {
    const save = args.pop() as (ts: tf.Tensor[]) => void;
    const ts = args as tf.Tensor4D[];
    const forward = makeForward(ts.slice(0, xs.length), ts.slice(xs.length), branches, pool);
    const { y, ybs, ycs, open } = gatedForward(forward, branches, pool, n * per, () => pool.select(alpha), dens);
    openAll += open;
    save(ts);
    const B = branches.reduce((a, br) => a + br.g.B, 0);
    return {
      value: tf.tensor4d(y, [B, OH, OW, K]),
      gradFunc: (dyT: tf.Tensor, saved: tf.Tensor[]) => {
        // Views on wasm (hostView.ts): every read below comes before the tensors made at the end.
        const dyAll = readNow(dyT);
        const sx = saved.slice(0, xs.length).map(readNow);
        const sw = saved.slice(xs.length).map(readNow);
        const dxs = sx.map((x) => take(x.length));
        const dws = sw.map((w) => take(w.length));
        // A dy with NaN or ∞: the loops skip zero inputs and closed units, where tfjs' convs
        // give 0 · NaN = NaN. Every gradient is NaN then (coarser than tfjs' pattern, but
        // never hidden: the next loss says so and the step is rolled back).
        if (!allFinite(dyAll)) {
          for (const d of [...dxs, ...dws]) d.fill(NaN);
          return [...dxs.map((d, i) => tf.tensor(d, saved[i].shape, 'float32')), ...dws.map((d, i) => tf.tensor(d, saved[xs.length + i].shape, 'float32'))];
        }
        branches.forEach((br, i) => {
          const off = br.o * per;
          const dy = dyAll.subarray(off, off + br.m * per);
          // A branch no loss reaches (BYOL's target: stop-gradient) gets dY = 0, so its
          // dY_b, dY_c, gate gradient and so dX, dK contributions are all 0: skip its loops.
          if (allZero(dy)) return;
          // Its Y_c is 0 at closed units (never computed there): a gate gradient would be wrong.
          if (opts.forwardOnly?.[i]) throw new Error(`gated conv: branch ${i} was given as forward-only, but a gradient reaches it`);
          const { dyb, dyc } = pool.backward(dy, ybs[i], ycs[i], br, detached);
          convRange(sx[i], sw[br.wi], dyb, dxs[i], dws[br.wi], br.g, 0, cb, null, 0, 1);
          convRange(sx[i], sw[br.wi], dyc, dxs[i], dws[br.wi], br.g, cb, C, pool.gate, br.o, G);
        });
        return [...dxs.map((d, i) => tf.tensor(d, saved[i].shape, 'float32')), ...dws.map((d, i) => tf.tensor(d, saved[xs.length + i].shape, 'float32'))];
      },
    };
  }) as unknown as GradFn;
  const yAll = tf.customGrad(f)(...xs, ...distinct) as tf.Tensor4D;
  const sizes = xs.map((x) => x.shape[0]);
  const ys = sizes.length === 1 ? [yAll] : (tf.split(yAll, sizes, 0) as tf.Tensor4D[]);
  return hostGatedResult({ ys, gate: pool.gate, saliency: pool.sal, branchDensity: dens, open: openAll, k: pool.k, n, delta: pool.delta, batches: sizes, OH, OW, G, baseChannels: cb });
}
