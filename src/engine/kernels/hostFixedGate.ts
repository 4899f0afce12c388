// CDG's evaluation forward on the host backends (cpu, wasm): each image gated alone at a
// fixed Δ per layer (g = 1[s > Δ], the plugin's EMA of the training Δ), as one op instead of
// the tf-op path's split, two convs, saliency ops and multiply: on cpu Y_c only at open
// units (a kNN pass of the cdg preset took 1.65× a dense one's time with the tf ops; the
// issue 12 budget is a kNN pass ≤ 10 % of a run). Forward only: evaluation takes no gradient
// through it, and one asked of it throws rather than passing a silent zero.
import * as tf from '@tensorflow/tfjs';
import { hostBranches, lazyGatedResult, type GatedConvResult } from './gatedConvResult';
import { gatedForward, type MakeHostForward } from './cpuGatedConvSparse';
import { gateBranches, PooledGate } from './hostGating';

type GradFn = Parameters<typeof tf.customGrad>[0];

export function gatedConvFixedOnHost(xs: tf.Tensor4D[], ws: tf.Tensor4D[], delta: number, cb: number, G: number, stride: number, makeForward: MakeHostForward): GatedConvResult {
  const { branches, distinct, n } = gateBranches(xs, ws, stride, G);
  const { OH, OW, K } = branches[0].g;
  const per = K / G;
  // Density 1: no quantile is chosen (k = n); fix() sets the gate.
  const pool = new PooledGate(n, OH * OW * G, G, per, 1);
  const dens: number[] = [];
  let openAll = 0;
  const f = ((...args: unknown[]) => {
    args.pop(); // save: nothing is kept for a backward
    const ts = args as tf.Tensor4D[];
    const forward = makeForward(ts.slice(0, xs.length), ts.slice(xs.length), branches, pool);
    const { y, open } = gatedForward(forward, branches, pool, n * per, () => pool.fix(delta), dens);
    openAll += open;
    const B = branches.reduce((a, br) => a + br.g.B, 0);
    return {
      value: tf.tensor4d(y, [B, OH, OW, K]),
      gradFunc: () => {
        throw new Error('gated conv at a fixed threshold (evaluation) has no gradient');
      },
    };
  }) as unknown as GradFn;
  const yAll = tf.customGrad(f)(...xs, ...distinct) as tf.Tensor4D;
  const sizes = xs.map((x) => x.shape[0]);
  const ys = sizes.length === 1 ? [yAll] : (tf.split(yAll, sizes, 0) as tf.Tensor4D[]);
  return lazyGatedResult(
    { ys, branchDensity: tf.tensor1d(dens), baseChannels: cb, groups: G },
    {
      gates: () => hostBranches(pool.gate, sizes, OH, OW, G),
      saliency: () => hostBranches(pool.sal, sizes, OH, OW, G),
      density: () => tf.scalar(openAll / n),
      delta: () => tf.scalar(delta),
    },
  );
}
