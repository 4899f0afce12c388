// `npm run train -- [--preset NAME] [--config FILE] [--steps N] [--backend auto|cpu|wasm|webgpu]
//  [--seed S] [--tiny] [--json] [--out DIR]` — the same engine as the app, in Node.
// Exit codes: 0 done, 1 the run failed (e.g. diverged), 2 bad usage or bad config.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFlags, UsageError, writableFolder } from './args';
import cliProgress from 'cli-progress';
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend, type BackendName } from '../engine/backend';
import { calibrationShape, chooseBackend, describeCalibration } from '../engine/backendChoice';
import { buildConfig, ConfigError, describePresets, mergeConfig, PRESET_NAMES, presetsSetting, SETTINGS, type Config } from '../engine/config';
import { decodeSetting, fragmentAt, methodOffFor, whyNotApplies, type SettingSpec } from '../engine/settingsTable';
import { loadDataset } from '../engine/data';
import { RunSession } from '../engine/session';
import { accuracyStandardError } from '../engine/eval/knn';
import { MAX_RUN_FILE_BYTES } from '../engine/runFile';
import { readPublicAsset } from './nodeAssets';
import { installNodeWebGPU } from './nodeWebgpu';
import { startConvThreads, stopConvThreads } from './convThreads';
import { summaryLine } from './trainSummary';
import { DivergenceError } from '../engine/trainer';

const USAGE = `usage: npm run train -- [options] [--KEY VALUE …]
  --preset NAME     ${PRESET_NAMES.join(' | ')} (default simclr-dense)
  --config FILE     JSON config fragment applied over the preset
  --backend B       auto | cpu | wasm | webgpu (default auto: times each that starts, uses the fastest)
  --tiny            the default model on 14,400 images at the preset's batch (450 × 32, or 900 × 16
                    for the BYOL presets): about a minute on a 2-core CPU
                    (kNN on 1200 held-out images: standard error ≤ 1.5 points)
  --json            JSON lines on stdout (start, one per logged step, end)
  --out DIR         write DIR/run.json (config, metrics history, final masks and gates)
  --help            this text and every setting
Any setting of the settings table, by its key (the same as in the app's links), e.g.
  --steps 300 --seed 3 --lr 0.003 --dataset fashion-mnist --syncp.gap 0.2`;

/** Every setting as `--key`: label, help, the values it takes, its method and the presets that set it (for --help). */
function settingsHelp(): string {
  return SETTINGS.map((s) => {
    const values = s.options ? ` (${s.options.join(' | ')})` : s.min !== undefined || s.max !== undefined ? ` (${s.min ?? ''}…${s.max ?? ''})` : '';
    const setBy = presetsSetting(s.path);
    const notes = [s.methodLabel && `${s.methodLabel} only`, setBy.length && `set by: ${describePresets(setBy)}`].filter(Boolean).join('; ');
    return `  --${s.key.padEnd(24)} ${s.label}: ${s.help}${values}${notes ? ` [${notes}]` : ''}`;
  }).join('\n');
}

function parseCli(argv: string[]) {
  const v = parseFlags(argv, {
    preset: { type: 'string' },
    config: { type: 'string' },
    backend: { type: 'string' },
    tiny: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
    // One flag per setting of the table, by the key links use.
    ...Object.fromEntries(SETTINGS.map((s) => [s.key, { type: 'string' as const }])),
  }) as Record<string, string | boolean | undefined>;
  const settings: { spec: SettingSpec; value: unknown }[] = [];
  for (const spec of SETTINGS) {
    const text = v[spec.key];
    if (typeof text !== 'string') continue;
    const d = decodeSetting(spec, text);
    if ('error' in d) throw new UsageError(`--${d.error}`);
    settings.push({ spec, value: d.value });
  }
  const backend = (v.backend as string | undefined) ?? 'auto';
  if (backend !== 'cpu' && backend !== 'webgpu' && backend !== 'wasm' && backend !== 'auto') throw new UsageError(`--backend must be auto, cpu, wasm or webgpu (got "${backend}")`);
  return {
    help: Boolean(v.help),
    preset: (v.preset as string | undefined) ?? 'simclr-dense',
    configFile: v.config as string | undefined,
    settings,
    backend: backend as BackendName | 'auto',
    tiny: Boolean(v.tiny),
    json: Boolean(v.json),
    out: v.out as string | undefined,
  };
}

async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, ''); // a byte-order mark is not JSON
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, []);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`, []);
  }
  return parsed;
}

function fmtEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds); // rounded once: 119.6 s is 2m0s, not 1m60s
  const m = Math.floor(whole / 60);
  return m > 0 ? `${m}m${whole % 60}s` : `${whole}s`;
}

async function main(): Promise<number> {
  let args;
  let config: Config;
  try {
    args = parseCli(process.argv.slice(2));
    if (args.help) {
      console.log(`${USAGE}\n\nSettings:\n${settingsHelp()}`);
      return 0;
    }
    const fileCfg = args.configFile ? await readConfigFile(args.configFile) : {};
    const base = buildConfig({ preset: args.preset, tiny: args.tiny, measured: true, overrides: fileCfg });
    for (const { spec } of args.settings) {
      // As in links: a method's setting does not switch that method on by itself.
      const off = methodOffFor(spec, base);
      if (off) throw new UsageError(`--${spec.key} ${off} (preset ${args.preset}); pick a ${spec.methodLabel} preset or set it in --config`);
    }
    config = buildConfig({ preset: args.preset, tiny: args.tiny, measured: true, overrides: mergeConfig(fileCfg, ...args.settings.map((x) => fragmentAt(x.spec.path, x.value))) });
    // Refused by the settings panel's rules too (greyed there): said, not silently kept.
    for (const { spec } of args.settings) {
      const why = whyNotApplies(spec, config);
      if (why) console.error(`train: warning — --${spec.key} is ${why}: this run does not use it`);
    }
    if (config.data.name === 'own') throw new UsageError('own data is uploaded in the app (Your own data, in the Data panel); the CLI trains on shapes or fashion-mnist');
    // Before the run, not after it: a folder that cannot be written would lose the whole run.
    if (args.out) await writableFolder(args.out);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      console.error(`train: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }

  // The cpu backend's second thread for large convs, started before the backend is timed.
  if (args.backend === 'auto' || args.backend === 'cpu') void startConvThreads();
  let report;
  if (args.backend === 'auto') {
    // As the app does: time a training workload on each backend at this run's size, use the fastest.
    const gpu = await installNodeWebGPU();
    report = await chooseBackend(gpu.ok ? ['webgpu', 'wasm', 'cpu'] : ['wasm', 'cpu'], { shape: calibrationShape(config) });
    if (!gpu.ok) console.error(`train: webgpu not measured: ${gpu.reason}`);
    if (report.backend !== 'cpu') await stopConvThreads();
    console.error(`train: backend measured in ${(report.calibration!.ms! / 1000).toFixed(1)} s — ${describeCalibration({ timings: report.calibration!.timings, chosen: report.backend })}`);
  } else {
    if (args.backend === 'webgpu') {
      const r = await installNodeWebGPU();
      if (!r.ok) console.error(`train: ${r.reason}`);
    }
    report = await initBackend(args.backend === 'cpu' ? ['cpu'] : [args.backend, 'cpu']);
    if (report.backend !== args.backend) console.error(`train: warning — asked for ${args.backend}, running ${describeBackend(report)}`);
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
    process.stderr.isTTY && !process.env.CI
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
  try {
    while (!session.done) {
      const { result: r, row, knn, logged } = await session.trainStep();
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
    // Training steps per second with the kNN passes left out (the machine's load still counts).
    stepsPerSecond: Number((trainer.step / Math.max(1e-9, seconds - knnSeconds)).toFixed(3)),
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

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`train: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
