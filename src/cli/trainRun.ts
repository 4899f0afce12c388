// The training part of `npm run train`, after train.ts has checked the flags and the config:
// loaded only then, since tfjs, the backends and the data take seconds to import.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend, type BackendName } from '../engine/backend';
import { calibrationShape, chooseBackend, describeCalibration } from '../engine/backendChoice';
import type { Config } from '../engine/config';
import { loadDataset } from '../engine/data';
import { RunSession } from '../engine/session';
import { accuracyStandardError } from '../engine/eval/standardError';
import { MAX_RUN_FILE_BYTES } from '../engine/runFile';
import { readPublicAsset } from './nodeAssets';
import { installNodeWebGPU } from './nodeWebgpu';
import { startConvThreads, stopConvThreads } from './convThreads';
import { type FirstStepMark, steadyStepsPerSecond, summaryLine } from './trainSummary';
import { DivergenceError } from '../engine/trainer';

/** What the run needs of the command line. */
export interface TrainArgs {
  backend: BackendName | 'auto';
  json: boolean;
  out?: string;
}

function fmtEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds); // rounded once: 119.6 s is 2m0s, not 1m60s
  const m = Math.floor(whole / 60);
  return m > 0 ? `${m}m${whole % 60}s` : `${whole}s`;
}

/** Train the checked config as the flags say; the exit code (0 done, 1 the run failed). */
export async function runTraining(args: TrainArgs, config: Config): Promise<number> {
  // The second thread for large host convs (cpu, and wasm's weight gradient), ready before
  // the backends are timed: started without waiting, it joined in partway through the
  // calibration, so the figures were of neither setup.
  if (args.backend !== 'webgpu') await startConvThreads();
  let report;
  if (args.backend === 'auto') {
    // As the app does: time a training workload on each backend at this run's size, use the fastest.
    const gpu = await installNodeWebGPU();
    if (gpu.ok) {
      // Timed as it will run: the run keeps small tensors on the GPU (set below for the run).
      await import('@tensorflow/tfjs-backend-webgpu');
      tf.env().set('WEBGPU_CPU_FORWARD', false);
    }
    report = await chooseBackend(gpu.ok ? ['webgpu', 'wasm', 'cpu'] : ['wasm', 'cpu'], { shape: calibrationShape(config) });
    if (!gpu.ok) console.error(`train: webgpu not measured: ${gpu.reason}`);
    if (report.backend === 'webgpu') await stopConvThreads();
    console.error(`train: backend measured in ${(report.calibration!.ms! / 1000).toFixed(1)} s — ${describeCalibration({ timings: report.calibration!.timings, chosen: report.backend })}`);
  } else {
    if (args.backend === 'webgpu') {
      const r = await installNodeWebGPU();
      if (!r.ok) console.error(`train: ${r.reason}`);
    }
    report = await initBackend(args.backend === 'cpu' ? ['cpu'] : [args.backend, 'cpu']);
    if (report.backend !== args.backend) console.error(`train: warning — asked for ${args.backend}, running ${describeBackend(report)}`);
    // WebGPU fell back to cpu: it gets its second core as a cpu run asked for does (a step ~10–17 % longer without it).
    if (args.backend === 'webgpu' && report.backend !== 'webgpu') await startConvThreads();
  }
  if (tf.getBackend() === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);

  const dataset = await loadDataset(config.data.name, {
    seed: config.seed,
    read: readPublicAsset,
    trainCount: config.data.trainCount,
    testCount: config.data.testCount,
  });
  const session = new RunSession(config, dataset);
  const trainer = session.trainer;
  const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // What a kNN figure is read against: the same network untrained, and raw pixels.
  const baselines = await session.measureBaselines();
  if (args.json) {
    emit({ event: 'start', backend: report.backend, adapter: report.adapter, fallbacks: report.fallbacks, calibration: report.calibration, baselines, config });
    emit(session.history[0]);
  } else {
    console.log(`baselines: kNN ${(baselines.untrained * 100).toFixed(1)}% untrained, ${(baselines.rawPixels * 100).toFixed(1)}% on raw pixels`);
  }
  const bar =
    // Not with --json rows going to the same terminal: each row would start on the bar's line.
    process.stderr.isTTY && !process.env.CI && !(args.json && process.stdout.isTTY)
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: 'train |{bar}| {value}/{total} steps | loss {loss} | knn {knn} | {sps} steps/s | ETA {eta_h}', hideCursor: false },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(config.steps, 0, { loss: '-', knn: '-', sps: '-', eta_h: '?' });

  const t0 = performance.now();
  let lastKnn: number | undefined;
  let lastKnnStep = 0;
  let status = 0;
  let firstStep: FirstStepMark | undefined;
  try {
    while (!session.done) {
      const { result: r, row, knn, logged } = await session.trainStep();
      if (!firstStep) firstStep = { seconds: (performance.now() - t0) / 1000, knnSeconds: session.knnMs.reduce((a, b) => a + b, 0) / 1000 };
      if (knn !== undefined) {
        lastKnn = knn;
        lastKnnStep = r.step;
      }
      if (logged) {
        if (args.json) emit(row);
        else if (!bar) console.log(`step ${r.step}  loss ${r.loss.toFixed(4)}${knn !== undefined ? `  knn ${(knn * 100).toFixed(1)}%` : ''}`);
      }
      const elapsed = (performance.now() - t0) / 1000;
      bar?.update(r.step, {
        loss: r.loss.toFixed(4),
        knn: lastKnn !== undefined ? `${(lastKnn * 100).toFixed(1)}%` : '-',
        sps: (r.step / elapsed).toFixed(2),
        eta_h: fmtEta((elapsed / r.step) * (config.steps - r.step)),
      });
    }
  } catch (e) {
    bar?.stop();
    console.error(`train: ${(e as Error).message}`);
    if (e instanceof DivergenceError) console.error(`train: the run is seeded, so the same command diverges again: rerun with a lower --lr (this run's: ${trainer.peakLearningRate})`);
    if (args.json) emit({ event: 'error', message: (e as Error).message, step: trainer.step });
    status = 1;
  }
  bar?.stop();
  const seconds = (performance.now() - t0) / 1000;

  if (args.out) {
    await mkdir(args.out, { recursive: true });
    const text = JSON.stringify(await session.runFile({ backend: report.backend, adapter: report.adapter }));
    await writeFile(join(args.out, 'run.json'), text);
    // Masks take ~2.7 bytes a prunable weight: a wide SyncCP model's file passes what the page
    // and `npm run export -- --run` read. Written anyway (it is the run), and said.
    if (text.length > MAX_RUN_FILE_BYTES) console.error(`train: warning — ${join(args.out, 'run.json')} is ${(text.length / 1024 / 1024).toFixed(1)} MB, more than the ${MAX_RUN_FILE_BYTES / 1024 / 1024} MB the app's Import and \`npm run export -- --run\` read: export this run with --config (its settings) instead`);
  }
  // What a kNN figure is worth (its standard error on n held-out images) and what it cost.
  const n = trainer.knnQueryCount;
  const se = lastKnn !== undefined ? accuracyStandardError(lastKnn, n) : undefined;
  const knnSeconds = session.knnMs.reduce((a, b) => a + b, 0) / 1000;
  const knnPass = session.knnMs.length ? knnSeconds / session.knnMs.length : 0;
  const knnCost = { passes: session.knnMs.length, secondsPerPass: Number(knnPass.toFixed(3)), passFraction: Number((knnPass / seconds).toFixed(4)), totalFraction: Number((knnSeconds / seconds).toFixed(4)) };
  const end = {
    event: 'end',
    steps: trainer.step,
    seconds: Number(seconds.toFixed(2)),
    // Training steps per second after the first (compiling, warming up), kNN passes left out
    // (the machine's load still counts); the first step's own seconds beside it.
    stepsPerSecond: Number(steadyStepsPerSecond(trainer.step, seconds, knnSeconds, firstStep).toFixed(3)),
    firstStepSeconds: firstStep ? Number((firstStep.seconds - firstStep.knnSeconds).toFixed(3)) : undefined,
    knn: lastKnn,
    // The step of that kNN pass: the last one before a failure, not the run's end.
    knnStep: lastKnn !== undefined ? lastKnnStep : undefined,
    knnTestImages: n,
    knnStandardError: se,
    knnCost,
    gain: lastKnn !== undefined ? lastKnn - baselines.untrained : undefined,
    status: status === 0 ? 'ok' : 'failed',
  };
  if (args.json) emit(end);
  else {
    console.log(summaryLine({ ok: status === 0, steps: trainer.step, seconds, baselines, knn: lastKnn !== undefined ? { accuracy: lastKnn, standardError: se!, step: lastKnnStep, n } : undefined }));
    console.log(`kNN cost: ${knnCost.passes} passes, ${knnPass.toFixed(2)} s each = ${(knnCost.passFraction * 100).toFixed(1)}% of the run per pass, ${(knnCost.totalFraction * 100).toFixed(1)}% in all`);
  }
  session.dispose();
  return status;
}

