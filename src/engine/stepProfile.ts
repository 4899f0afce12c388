// What share of a dense training step the convolutions take, and the Amdahl bound that share
// puts on a sparse preset's time ratio: if only the conv work shrinks (to the conv FLOPs
// ratio) and everything else (BN, ReLU, elementwise, heads, loss, optimizer, masks) stays,
// the step can be at best  (1 − s) + s · convFlopsRatio  of the dense one, s the dense step's
// conv share. Measured on the dense counterpart: the time tf.profile gives its Conv2D,
// Conv2DBackpropInput and Conv2DBackpropFilter kernels in a step, over the wall time of an
// unprofiled step (alternating, medians). Only the dense step: the sparse kernels run inside
// custom-gradient ops, whose backward tf.profile does not list (docs/bench.md says how their
// share is estimated instead, from the kernel bench).
import { median } from './median';
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from './data/types';
import { benchConfig, denseCounterpart, stateStartStep, type BenchState } from './bench';
import { Trainer } from './trainer';

const CONV_KERNELS = new Set(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);

export interface ConvShareRow {
  preset: string;
  dense: string;
  /** Median over steps: wall ms of a dense step, and its conv kernels' ms. */
  denseStepMs: number;
  denseConvMs: number;
  /** denseConvMs / denseStepMs. */
  convShare: number;
  /** The preset's conv FLOPs (every conv of every branch), effective / dense. */
  convFlopsRatio: number;
  /** The preset's whole-step FLOPs ratio. */
  flopsRatio: number;
  /** (1 − convShare) + convShare · convFlopsRatio: the best time ratio skipping conv work alone can reach. */
  amdahlBound: number;
}


async function profiledStep(trainer: Trainer): Promise<{ convMs: number }> {
  const info = await tf.profile(async () => {
    await trainer.trainStep();
    return [];
  });
  let convMs = 0;
  for (const k of info.kernels) if (CONV_KERNELS.has(k.name)) convMs += await Promise.resolve(k.kernelTimeMs as number | Promise<number>).then((v) => (typeof v === 'number' ? v : 0));
  return { convMs };
}

/** For each sparse preset: its dense counterpart's conv share (median of `steps` profiled steps after one warm-up) and the Amdahl bound. */
export async function convShares(presets: readonly string[], tiny: boolean, dataset: Dataset, state: BenchState, steps = 3, overrides?: unknown): Promise<ConvShareRow[]> {
  const shares = new Map<string, { stepMs: number; convMs: number }>();
  const rows: ConvShareRow[] = [];
  for (const preset of presets) {
    const config = benchConfig(preset, tiny, overrides);
    const dense = denseCounterpart(preset, tiny, overrides);
    if (dense === preset) continue;
    if (!shares.has(dense)) {
      const t = new Trainer(benchConfig(dense, tiny, overrides), dataset);
      try {
        await t.trainStep();
        // Profiling slows the step itself (per-kernel bookkeeping): wall time from unprofiled
        // steps, conv kernel time from profiled ones, alternating.
        const wall: number[] = [];
        const conv: number[] = [];
        for (let i = 0; i < steps; i++) {
          const t0 = performance.now();
          await t.trainStep();
          wall.push(performance.now() - t0);
          conv.push((await profiledStep(t)).convMs);
        }
        shares.set(dense, { stepMs: median(wall), convMs: median(conv) });
      } finally {
        t.dispose();
      }
    }
    const t = new Trainer(config, dataset);
    try {
      t.startAt(stateStartStep(config, state));
      const r = await t.trainStep(); // the end state's masks
      const f = t.flops(r.metrics, r.gradientPasses);
      const convNames = new Set(t.spec.encoder.convs.map((c) => c.name));
      const conv = f.layers.filter((l) => convNames.has(l.name));
      const convFlopsRatio = conv.reduce((a, l) => a + l.effective, 0) / conv.reduce((a, l) => a + l.dense, 0);
      const d = shares.get(dense)!;
      const convShare = d.convMs / d.stepMs;
      rows.push({ preset, dense, denseStepMs: d.stepMs, denseConvMs: d.convMs, convShare, convFlopsRatio, flopsRatio: f.effective / f.dense, amdahlBound: 1 - convShare + convShare * convFlopsRatio });
    } finally {
      t.dispose();
    }
  }
  return rows;
}
