// One run of `npm run experiment`: baselines, training, probe and FLOPs ratios of one
// (dataset, preset, seed). Imported only by the process that makes runs (tfjs is slow to load).
import { cpus, loadavg } from 'node:os';
import type { Config } from '../engine/config';
import { loadDataset } from '../engine/data';
import { RunSession } from '../engine/session';
import type { MetricsRow } from '../engine/runFile';
import { stepFlops, type LayerDensities } from '../engine/stepFlops';
import { readPublicAsset } from './nodeAssets';
import { type FirstStepMark, steadyStepsPerSecond } from './trainSummary';
import type { ExperimentRun, GradientMode } from './experimentTables';

/**
 * Training FLOPs of one step, effective / dense, for a row's densities under a gate-gradient
 * mode, with the step's extra gradient passes (SyncCP regrowth) as its row counts them.
 */
export function flopsRatio(session: RunSession, row: MetricsRow, mode: GradientMode, gradientPasses: readonly (readonly string[])[] = []): number {
  const t = session.trainer;
  const cdg = t.config.cdg;
  const d: LayerDensities = {};
  if (row.density) d.weight = row.density;
  // Channel masks: the weight density is the kept fraction of output channels (syncp.ts outputChannelDensity).
  if (row.density && t.config.syncp?.granularity === 'channel') d.outputChannels = row.density;
  if (row.gateDensity && cdg) d.gate = Object.fromEntries(Object.entries(row.gateDensity).map(([k, v]) => [k, { ...v, beta: cdg.beta, gradient: mode }]));
  const f = stepFlops(t.spec, t.branchInfos(), t.config.ssl.method, t.stepBatch, d, gradientPasses);
  return f.effective / f.dense;
}

function meanOfLayers(m: Record<string, { online: number; target: number }> | undefined): { online: number; target: number } | undefined {
  if (!m) return undefined;
  const v = Object.values(m);
  if (!v.length) return undefined;
  return { online: v.reduce((a, x) => a + x.online, 0) / v.length, target: v.reduce((a, x) => a + x.target, 0) / v.length };
}

export async function runOne(config: Config, preset: string, onStep: () => void, probeEpochs: number): Promise<ExperimentRun> {
  const dataset = await loadDataset(config.data.name, { seed: config.seed, read: readPublicAsset, trainCount: config.data.trainCount, testCount: config.data.testCount });
  const session = new RunSession(config, dataset);
  try {
    const load0 = loadavg()[0];
    const base = await session.measureBaselines();
    const t0 = performance.now();
    let last: MetricsRow | undefined;
    let knn = base.untrained;
    const modes: GradientMode[] = config.cdg ? ['ste', 'detached'] : ['ste'];
    // Every step's ratio, regrowth passes included (a mean over the logged rows missed the update steps between them).
    const flopsEnd: Partial<Record<GradientMode, number>> = {};
    const flopsSum: Partial<Record<GradientMode, number>> = {};
    let trainedSteps = 0;
    let firstStep: FirstStepMark | undefined;
    const knnSecondsSoFar = () => session.knnMs.reduce((a, b) => a + b, 0) / 1000;
    while (!session.done) {
      const s = await session.trainStep();
      firstStep ??= { seconds: (performance.now() - t0) / 1000, knnSeconds: knnSecondsSoFar() };
      if (s.knn !== undefined) knn = s.knn;
      last = s.row;
      for (const m of modes) {
        flopsEnd[m] = flopsRatio(session, s.row, m, s.result.gradientPasses);
        flopsSum[m] = (flopsSum[m] ?? 0) + flopsEnd[m]!;
      }
      trainedSteps++;
      onStep();
    }
    const seconds = (performance.now() - t0) / 1000;
    const knnSeconds = knnSecondsSoFar();
    const probe = probeEpochs > 0 ? await session.trainer.linearProbe(probeEpochs) : undefined;
    const flopsMean: Partial<Record<GradientMode, number>> = {};
    for (const m of modes) {
      flopsEnd[m] ??= 1;
      flopsMean[m] = trainedSteps ? flopsSum[m]! / trainedSteps : 1;
    }
    return {
      preset,
      dataset: config.data.name,
      seed: config.seed,
      steps: config.steps,
      batch: config.batchSize,
      imageSize: session.trainer.imageSize,
      widths: config.model.widths,
      trainCount: dataset.train.count,
      testCount: session.trainer.knnQueryCount,
      gateGradient: config.cdg?.gateGradient,
      untrained: base.untrained,
      rawPixels: base.rawPixels,
      knn,
      probe: probe?.testAccuracy,
      weightDensity: meanOfLayers(last?.density),
      gateDensity: meanOfLayers(last?.gateDensity),
      flopsEnd,
      flopsMean,
      seconds,
      knnSeconds,
      knnPasses: session.knnMs.length,
      // After the first step, as `npm run train` gives it: the first compiles and warms caches.
      stepsPerSecond: steadyStepsPerSecond(trainedSteps, seconds, knnSeconds, firstStep),
      load: [load0, loadavg()[0]],
      cores: cpus().length,
      date: new Date().toISOString(),
    };
  } finally {
    session.dispose();
  }
}
