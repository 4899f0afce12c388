// `npm run train -- [--preset NAME] [--config FILE] [--steps N] [--backend auto|cpu|wasm|webgpu]
//  [--seed S] [--tiny] [--json] [--out DIR]` — the same engine as the app, in Node.
// Exit codes: 0 done, 1 the run failed (e.g. diverged), 2 bad usage or bad config.
import { readFile } from 'node:fs/promises';
import { parseFlags, UsageError, writableFile } from './args';
import { join } from 'node:path';
import { trainConfig } from './trainConfig';
import type { BackendName } from '../engine/backend';
import { ConfigError, describePresets, issueNamedBy, PRESET_NAMES, presetsSetting, SETTINGS, type Config } from '../engine/config';
import { decodeSetting, whyNotApplies, type SettingSpec } from '../engine/settingsTable';

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

/** A refused config's message with each setting given as a flag named by that flag (`--batch`, not `batchSize`); a --config file's by its path. */
function configMessage(e: UsageError | ConfigError, flags: { spec: SettingSpec }[]): string {
  if (!(e instanceof ConfigError)) return e.message;
  const given = new Set(flags.map((f) => f.spec.path));
  return e.issues.reduce((m, i) => m.replace(i, () => issueNamedBy(i, (s) => (given.has(s.path) ? `--${s.key}` : undefined))), e.message);
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
    config = trainConfig({ preset: args.preset, tiny: args.tiny, fileCfg, settings: args.settings });
    // Refused by the settings panel's rules too (greyed there): said, not silently kept.
    for (const { spec } of args.settings) {
      const why = whyNotApplies(spec, config);
      if (why) console.error(`train: warning — --${spec.key} is ${why}: this run does not use it`);
    }
    if (config.data.name === 'own') throw new UsageError('own data is uploaded in the app (Your own data, in the Data panel); the CLI trains on shapes or fashion-mnist');
    // Before the run, not after it: a folder that cannot be written would lose the whole run.
    if (args.out) await writableFile(join(args.out, 'run.json'), '--out');
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      console.error(`train: ${configMessage(e, args?.settings ?? [])}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }

  // Usage is checked above without tfjs, a backend or the data: a bad flag answers at once.
  const { runTraining } = await import('./trainRun');
  return runTraining(args, config);
}

main().then(
  // After stdout has taken the last --json row: exiting at once can cut a piped write short.
  (code) => process.stdout.write('', () => process.exit(code)),
  (e) => {
    console.error(`train: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
