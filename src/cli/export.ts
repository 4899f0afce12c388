// `npm run export -- --to solo-learn-sparse (--preset NAME | --config FILE | --run run.json)
//  [--gpus N] [--dataset cifar10|imagenet] [--epochs E] [--batch-per-gpu B] [--out DIR]`
// Prints a shell script that runs the same method and schedule on GPUs with the reference
// PyTorch implementation (solo-learn-sparse); with --out, writes DIR/pretrain.sh and
// DIR/MAPPING.md. What does not carry over is printed on stderr.
// Exit codes: 0 done, 2 bad usage, bad config, or a config the reference cannot run (CDG).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFlags, UsageError, writableFolder } from './args';
import { buildConfig, ConfigError, parseConfig, PRESET_NAMES, type Config } from '../engine/config';
import { REF_DATASETS, REFERENCE, type RefDataset } from '../engine/export/reference';
import { exportSoloLearnSparse, ExportRefusal } from '../engine/export/soloLearnSparse';
import { peekRunUpload } from '../engine/state/bundle';

const TARGETS = ['solo-learn-sparse'] as const;

const USAGE = `usage: npm run export -- --to solo-learn-sparse (--preset NAME | --config FILE | --run FILE) [options]
  --to TARGET          ${TARGETS.join(' | ')} (github.com/${REFERENCE.repo} at ${REFERENCE.commit.slice(0, 8)})
  --preset NAME        ${PRESET_NAMES.join(' | ')}
  --config FILE        JSON config fragment (over the default preset, or over --preset if given)
  --run FILE           a run.json (from npm run train -- --out) or the app's run.zip: its config
  --gpus N             GPUs on one machine, DDP (default 1)
  --dataset NAME       ${REF_DATASETS.join(' | ')} (default cifar10)
  --epochs E           training epochs (default: 1000 on cifar10, 100 on imagenet)
  --batch-per-gpu B    images a GPU, 2 or more (BatchNorm) (default on cifar10: ⌊256 / GPUs⌋, at least 16, so 256 in all on 1, 2, 4, 8 or 16 GPUs; 128 a GPU on imagenet)
  --out DIR            write DIR/pretrain.sh (executable) and DIR/MAPPING.md instead of printing the script
  --help`;

function parseCli(argv: string[]) {
  const v = parseFlags(argv, {
    to: { type: 'string' },
    preset: { type: 'string' },
    config: { type: 'string' },
    run: { type: 'string' },
    gpus: { type: 'string' },
    dataset: { type: 'string' },
    epochs: { type: 'string' },
    'batch-per-gpu': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (v.help) return { help: true as const };
  const positive = (name: string, s: string | undefined, max: number, min = 1) => {
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${s}")`);
    return Number(s);
  };
  if (v.to === undefined) throw new UsageError('--to is required (the only target is solo-learn-sparse)');
  if (!(TARGETS as readonly string[]).includes(v.to)) throw new UsageError(`unknown --to "${v.to}" (known: ${TARGETS.join(', ')})`);
  if (v.run !== undefined && (v.preset !== undefined || v.config !== undefined)) throw new UsageError('--run carries its own config: give it alone, without --preset or --config');
  if (v.run === undefined && v.preset === undefined && v.config === undefined) throw new UsageError('say what to export: --preset NAME, --config FILE or --run FILE');
  const dataset = v.dataset ?? 'cifar10';
  if (!(REF_DATASETS as readonly string[]).includes(dataset)) throw new UsageError(`--dataset must be one of ${REF_DATASETS.join(', ')} (got "${dataset}")`);
  return {
    help: false as const,
    preset: v.preset,
    configFile: v.config,
    runFile: v.run,
    gpus: positive('gpus', v.gpus, 64) ?? 1,
    dataset: dataset as RefDataset,
    epochs: positive('epochs', v.epochs, 100_000),
    // 2 at least, as the export itself requires (BatchNorm over one image): said here with the flag's name.
    batchPerGpu: positive('batch-per-gpu', v['batch-per-gpu'], 65_536, 2),
    out: v.out,
  };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    // A byte-order mark (Windows Notepad writes one) is not part of the JSON.
    return (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, []);
  }
}

async function loadConfig(args: { preset?: string; configFile?: string; runFile?: string }): Promise<{ config: Config; source: string }> {
  if (args.runFile) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(args.runFile));
    } catch (e) {
      throw new ConfigError(`cannot read run file ${args.runFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, []);
    }
    try {
      // As the page reads an upload: a zip known by its bytes, not its name, and a run.json
      // saved with a byte-order mark read as text. Only run.json's config is used here.
      return { config: peekRunUpload(args.runFile, bytes).run.config, source: `run file ${args.runFile}` };
    } catch (e) {
      throw new ConfigError((e as Error).message, []);
    }
  }
  let overrides: unknown = {};
  if (args.configFile) {
    const text = await readText(args.configFile, 'config file');
    try {
      overrides = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${args.configFile} is not valid JSON: ${(e as Error).message}`, []);
    }
  }
  const config = buildConfig({ preset: args.preset, overrides });
  const source = [args.preset && `preset ${args.preset}`, args.configFile && `config file ${args.configFile}`].filter(Boolean).join(' + ');
  return { config: parseConfig(config), source };
}

async function main(): Promise<number> {
  let args;
  let loaded;
  try {
    args = parseCli(process.argv.slice(2));
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    loaded = await loadConfig(args);
    if (args.out) await writableFolder(args.out);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      console.error(`export: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }

  let result;
  try {
    result = exportSoloLearnSparse(loaded.config, {
      dataset: args.dataset,
      gpus: args.gpus,
      epochs: args.epochs,
      batchPerGpu: args.batchPerGpu,
      source: loaded.source,
    });
  } catch (e) {
    if (e instanceof ExportRefusal || e instanceof RangeError) {
      console.error(`export: ${e.message}`);
      return 2;
    }
    throw e;
  }

  console.error(`export: ${loaded.source} → ${REFERENCE.name} @ ${REFERENCE.commit.slice(0, 8)}, ${args.dataset}, ${args.gpus} GPU${args.gpus > 1 ? 's' : ''}`);
  console.error('export: what does not carry over (details in MAPPING.md):');
  for (const w of result.warnings) console.error(`  - ${w}`);

  if (args.out) {
    await mkdir(args.out, { recursive: true });
    const scriptPath = join(args.out, 'pretrain.sh');
    await writeFile(scriptPath, result.script);
    await chmod(scriptPath, 0o755);
    await writeFile(join(args.out, 'MAPPING.md'), result.mapping);
    console.error(`export: wrote ${scriptPath} and ${join(args.out, 'MAPPING.md')}`);
  } else {
    // Wait for the write: exiting straight after a large write to a pipe can cut it short.
    await new Promise<void>((resolve) => process.stdout.write(result.script, () => resolve()));
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`export: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
