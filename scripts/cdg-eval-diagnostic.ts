// Diagnostic for docs/results.md "CDG": is a cdg run's low kNN a property of its trained
// weights, or of how evaluation gates them? Trains the cdg preset (cpu) and then measures
// the final network's kNN five ways. Only the first is the reported figure; the rest are
// diagnostics that reach into the trainer and plugin (private fields, by cast):
//   gatedEval          the monitor's own rule: running BN statistics, fixed Δ per layer (EMA of training Δ)
//   openEval           running BN statistics, every gate open (the dense network on the trained weights)
//   batchStatsGated    BN with the statistics of the whole split (one batch), fixed Δ
//   batchStatsOpen     the same with every gate open
//   batchStatsQuantile the same with training's rule: one joint quantile at the target density
// Usage: npx tsx scripts/cdg-eval-diagnostic.ts [--tiny] [--seed S]
//        (CDG_OVERRIDES='{"cdg":{"density":0.7}}' for a config fragment over the preset)
import * as tf from '@tensorflow/tfjs';
import { readPublicAsset } from '../src/cli/nodeAssets';
import { initBackend } from '../src/engine/backend';
import { buildConfig, mergeConfig } from '../src/engine/config';
import { loadDataset } from '../src/engine/data';
import { batchTensor } from '../src/engine/data/batchTensor';
import type { ImageSplit } from '../src/engine/data/types';
import { encode, type NetworkSpec, type Network } from '../src/engine/nn/network';
import type { ConvHook } from '../src/engine/nn/resnet';
import type { BranchInfo } from '../src/engine/plugin';
import { RunSession } from '../src/engine/session';

const argv = process.argv.slice(2);
const tiny = argv.includes('--tiny');
const seed = argv.includes('--seed') ? Number(argv[argv.indexOf('--seed') + 1]) : 1;
const extra = JSON.parse(process.env.CDG_OVERRIDES ?? '{}');
await initBackend(['cpu']);
const config = buildConfig({ preset: 'cdg', tiny, measured: true, overrides: mergeConfig({ seed }, extra) });
const dataset = await loadDataset(config.data.name, { seed: config.seed, read: readPublicAsset, trainCount: config.data.trainCount, testCount: config.data.testCount });
const session = new RunSession({ ...config, eval: { ...config.eval, knnEvery: 0 } }, dataset);
const untrained = await session.trainer.knn();
while (!session.done) await session.trainStep();

type PluginView = { evalDelta: Map<string, number>; evalThreshold: (layer: string) => number | tf.Tensor | undefined };
const plugin = session.trainer.plugins.find((p) => p.name === 'cdg') as unknown as PluginView;
const trainedDelta = new Map(plugin.evalDelta);
const restoreDelta = () => {
  plugin.evalDelta.clear();
  for (const [k, v] of trainedDelta) plugin.evalDelta.set(k, v);
};

const gatedEval = await session.trainer.knn();
plugin.evalDelta.clear(); // evalThreshold → −∞: every gate open
const openEval = await session.trainer.knn();
restoreDelta();

// Features with batch statistics: the whole split as one batch in training-mode BN.
type TrainerView = { imageSize: number; spec: NetworkSpec; online: Network; convHook(infos: BranchInfo[], training: boolean): ConvHook; features: (split: ImageSplit, idx: number[]) => tf.Tensor2D };
const tr = session.trainer as unknown as TrainerView;
tr.features = (split, indices) =>
  tf.tidy(() => {
    const x = batchTensor(split, indices, dataset, { size: tr.imageSize });
    const hook = tr.convHook([{ role: 'online', view: 0 }], false);
    return encode(tr.spec, [{ params: tr.online.vars, stats: tr.online.stats }], [x], { training: true, convHook: hook })[0];
  });
const batchStatsGated = await session.trainer.knn();
plugin.evalDelta.clear();
const batchStatsOpen = await session.trainer.knn();
restoreDelta();
plugin.evalThreshold = () => undefined; // no Δ: the hook picks the joint quantile at the target density
const batchStatsQuantile = await session.trainer.knn();

console.log(JSON.stringify({ seed, tiny, extra, untrained, gatedEval, openEval, batchStatsGated, batchStatsOpen, batchStatsQuantile, evalDelta: Object.fromEntries(trainedDelta) }));
session.dispose();
