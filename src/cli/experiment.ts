// `npm run experiment -- [--presets a,b] [--datasets shapes,fashion-mnist] [--seeds 1,2,3]
//  [--steps N] [--tiny] [--out DIR] [--results FILE] [--probe-epochs N] [--fresh] [--jobs N]`
// The default presets at their default sizes on the cpu backend, every dataset × preset ×
// seed, one after the other in this process (so their wall times compare; --jobs N splits
// them over N worker processes of about equal work, each run then sharing the cores), each run
// saved as DIR/<dataset>-<preset>-s<seed>.json with the config it was made with (a rerun
// skips runs saved with the same config and probe epochs unless --fresh), then the tables
// of docs/results.md between its experiment markers rewritten from every saved run of the
// selection — for the whole default experiment only: any other selection prints its tables.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import cliProgress from 'cli-progress';
import { CliError, failureText, parseFlags, UsageError, wholeNumber, writableFile, writableFolder } from './args';
import { buildConfig, ConfigError, isPresetName, PRESET_NAMES, type Config } from '../engine/config';
import { renderResults, type ExperimentRun } from './experimentTables';
import { partitionByCost } from './shards';

const USAGE = `usage: npm run experiment -- [options]
  --presets a,b       presets to run (default: all: ${PRESET_NAMES.join(', ')})
  --datasets a,b      shapes, fashion-mnist (default both)
  --seeds 1,2,3       seeds (default 1,2,3)
  --steps N           override every preset's steps (default: the preset's; with --tiny, 14,400 images at its batch)
  --tiny              the --tiny size
  --out DIR           where each run's summary is saved (default runs/experiment)
  --results FILE      the markdown file whose experiment tables are rewritten ("-" prints them; default: docs/results.md
                      for the whole default experiment, "-" for a part of it, --tiny, --steps or --probe-epochs)
  --probe-epochs N    linear-probe epochs (default 100)
  --fresh             rerun runs already saved in DIR, also those saved with other settings (without it
                      those are refused, exit 2, rather than replaced)
  --jobs N            run in N processes at once (default 1; wall times then are those of a shared machine)`;

const DATASETS = ['shapes', 'fashion-mnist'] as const;
const DEFAULT_SEEDS = [1, 2, 3];
const DEFAULT_PROBE_EPOCHS = 100;

/** A comma list: no empty entry (",," is a typo, not a 0 or a default) and no repeat (a run counted twice would look like two seeds). */
function commaList(v: string, what: string): string[] {
  const out = v.split(',').map((s) => s.trim());
  if (out.some((x) => x === '')) throw new UsageError(`--${what}: an empty entry in "${v}"`);
  const twice = out.find((x, i) => out.indexOf(x) !== i);
  if (twice !== undefined) throw new UsageError(`--${what}: "${twice}" is given twice`);
  return out;
}

function list(v: unknown, all: readonly string[], what: string): string[] {
  if (typeof v !== 'string') return [...all];
  const out = commaList(v, what);
  for (const x of out) if (!all.includes(x)) throw new UsageError(`--${what}: unknown "${x}" (known: ${all.join(', ')})`);
  return out;
}

/** The config of one run of the experiment. */
function experimentConfig(j: { dataset: string; preset: string; seed: number }, tiny: boolean, steps: number | undefined): Config {
  if (!isPresetName(j.preset)) throw new Error(`unknown preset ${j.preset}`);
  return buildConfig({ preset: j.preset, tiny, measured: true, overrides: { seed: j.seed, data: { name: j.dataset }, ...(steps ? { steps } : {}) } });
}

function parse(argv: string[]) {
  const v = parseFlags(argv, {
    presets: { type: 'string' },
    datasets: { type: 'string' },
    seeds: { type: 'string' },
    steps: { type: 'string' },
    tiny: { type: 'boolean', default: false },
    out: { type: 'string' },
    results: { type: 'string' },
    'probe-epochs': { type: 'string' },
    fresh: { type: 'boolean', default: false },
    jobs: { type: 'string' },
    // Internal: a worker's share of the runs (dataset/preset/seed,…), given by --jobs.
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  // --only is how --jobs hands a forked worker its share: given by a person it skipped the
  // checks of --out, --results and saved runs made with other settings, and replaced them.
  if (v.only !== undefined && !process.send) throw new UsageError('--only is internal to --jobs (a worker\'s share of the runs); choose runs with --presets, --datasets and --seeds');
  const jobs = wholeNumber('--jobs', v.jobs, 1, 64) ?? 1;
  const seedList = typeof v.seeds === 'string' ? commaList(v.seeds, 'seeds') : undefined;
  if (seedList?.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--seeds must be non-negative integers (got "${String(v.seeds)}")`);
  const seeds = seedList?.map(Number) ?? DEFAULT_SEEDS;
  // "1" and "01" are one seed: the same run twice would look like two agreeing seeds.
  const twice = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (twice !== undefined) throw new UsageError(`--seeds: seed ${twice} is given twice`);
  const steps = wholeNumber('--steps', v.steps, 1);
  // Digits only: "" (--probe-epochs=) read as 0 skipped the probe without a word.
  const probeEpochs = wholeNumber('--probe-epochs', v['probe-epochs'], 0) ?? DEFAULT_PROBE_EPOCHS;
  const presets = list(v.presets, PRESET_NAMES, 'presets');
  const datasets = list(v.datasets, DATASETS, 'datasets') as (typeof DATASETS)[number][];
  // docs/results.md holds the whole default experiment: a part of it, another size or
  // length, printed instead of overwriting those tables unless --results names a file.
  // Every run's config is built now: a value the settings table refuses (a seed past 2³¹ − 1,
  // too many steps) is a usage error before anything runs, not a crash after set-up.
  for (const dataset of datasets) for (const preset of presets) for (const seed of seeds) {
    try {
      experimentConfig({ dataset, preset, seed }, Boolean(v.tiny), steps);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`${preset} on ${dataset}, seed ${seed}: ${e.issues.join('; ') || e.message}`);
      throw e;
    }
  }
  const whole = !v.tiny && steps === undefined && probeEpochs === DEFAULT_PROBE_EPOCHS && presets.length === PRESET_NAMES.length && datasets.length === DATASETS.length && seeds.join() === DEFAULT_SEEDS.join();
  return {
    help: Boolean(v.help),
    presets,
    datasets,
    seeds,
    steps,
    tiny: Boolean(v.tiny),
    out: (v.out as string | undefined) ?? 'runs/experiment',
    results: (v.results as string | undefined) ?? (whole ? 'docs/results.md' : '-'),
    probeEpochs,
    fresh: Boolean(v.fresh),
    jobs,
    only: typeof v.only === 'string' ? new Set(v.only.split(',')) : undefined,
  };
}

/** The command line a worker gets: this one without --jobs, with its share as --only. */
function workerArgs(argv: readonly string[], share: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') { i++; continue; }
    if (argv[i].startsWith('--jobs=')) continue;
    out.push(argv[i]);
  }
  return [...out, '--only', share.join(',')];
}

/**
 * Run `shares` in worker processes of this script; each reports its steps (IPC) to `onSteps`.
 * Every worker is waited for (one failing does not cut the others' runs short: what they
 * finish is saved); the failures, with each worker's last stderr lines, are thrown together.
 */
async function runWorkers(shares: readonly string[][], onSteps: (n: number, run: string) => void): Promise<void> {
  const results = await Promise.allSettled(
    shares.filter((s) => s.length > 0).map(
      (share) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(process.argv[1], workerArgs(process.argv.slice(2), share), { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
          let tail = '';
          child.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
          child.on('message', (m: { steps?: number; run?: string }) => onSteps(m.steps ?? 0, m.run ?? ''));
          child.on('error', reject);
          // 'close', not 'exit': stderr is read to its end, so the reason is not cut off.
          child.on('close', (code, signal) => {
            if (code === 0) resolve();
            else {
              // The worker's own message (its first "experiment:" line), not only the stack's last frames.
              const lines = tail.trim().split('\n');
              const said = lines.find((l) => l.startsWith('experiment: ')) ?? lines[0] ?? '';
              reject(new CliError(`a worker (${share.join(', ')}) ${signal ? `was killed by ${signal}` : `exited with ${code}`}: ${said}${lines.length > 1 ? ` | ${lines.slice(-3).join(' | ')}` : ''}`));
            }
          });
        }),
    ),
  );
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length) throw new CliError(failed.join('\n'));
}

async function main(): Promise<number> {
  let a;
  try {
    a = parse(process.argv.slice(2));
    // Checked before the first run: a folder found unwritable only after it would lose it.
    if (!a.help && !a.only) {
      await writableFolder(a.out);
      if (a.results !== '-') await writableFile(a.results, '--results');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`experiment: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  await mkdir(a.out, { recursive: true });
  const jobs = a.datasets.flatMap((dataset) => a.presets.flatMap((preset) => a.seeds.map((seed) => ({ dataset, preset, seed }))));
  const configOf = (j: (typeof jobs)[number]) => experimentConfig(j, a.tiny, a.steps);
  const file = (j: (typeof jobs)[number]) => join(a.out, `${j.dataset}-${j.preset}-s${j.seed}${a.tiny ? '-tiny' : ''}.json`);
  const key = (j: (typeof jobs)[number]) => `${j.dataset}/${j.preset}/${j.seed}`;
  const made = (j: (typeof jobs)[number]) => ({ config: configOf(j), probeEpochs: a.probeEpochs });
  /** The run saved for `j`, if it was made with this command's settings (another --steps, say, is not this run). */
  const saved = (j: (typeof jobs)[number]): ExperimentRun | undefined => {
    const r = savedRun(j);
    return r && JSON.stringify(r.made) === JSON.stringify(made(j)) ? r : undefined;
  };
  const savedRun = (j: (typeof jobs)[number]): ExperimentRun | undefined => {
    if (!existsSync(file(j))) return undefined;
    try {
      return JSON.parse(readFileSync(file(j), 'utf8')) as ExperimentRun;
    } catch {
      return undefined; // unreadable (cut off mid-write): run again
    }
  };
  // A run saved with other settings (another --steps or --probe-epochs) has the same file
  // name: running this one would replace it without a word (minutes of work, and the
  // results tables read from it). Only --fresh replaces runs.
  if (!a.only && !a.fresh) {
    const other = jobs.filter((j) => savedRun(j) && !saved(j));
    if (other.length > 0) {
      console.error(`experiment: ${other.length} run(s) in ${a.out} were made with other settings (e.g. ${file(other[0])}): give another --out, or --fresh to replace them`);
      return 2;
    }
  }
  // A worker runs exactly its share; the parent decided what was left to do.
  const todo = a.only ? jobs.filter((j) => a.only!.has(key(j))) : jobs.filter((j) => a.fresh || !saved(j));
  const totalSteps = todo.reduce((s, j) => s + configOf(j).steps, 0);
  /** Runs `todo` here, one after the other, each saved; `onRun` before each, `onStep` after every step. */
  const runHere = async (onRun: (i: number, name: string) => void, onStep: () => void) => {
    // tfjs, the backend and the data only where runs are made: the checks above answer at
    // once, and a parent that leaves every run to its workers never loads them.
    const [{ initBackend }, { startConvThreads }, { runOne }] = await Promise.all([import('../engine/backend'), import('./convThreads'), import('./experimentRun')]);
    await initBackend(['cpu']);
    // One process: its conv loops take the second core. With --jobs N each process has a core (or less).
    if (a.jobs <= 1 && !a.only) void startConvThreads();
    for (const [i, j] of todo.entries()) {
      onRun(i, `${j.dataset} ${j.preset} s${j.seed}`);
      let r: Awaited<ReturnType<typeof runOne>>;
      try {
        r = await runOne(configOf(j), j.preset, onStep, a.probeEpochs);
      } catch (e) {
        // Which run, first: a worker's parent keeps only the start of its stderr's last lines.
        throw new CliError(`run ${j.dataset} ${j.preset} seed ${j.seed} failed: ${(e as Error).message}`);
      }
      // Written whole or not at all: an interrupted write leaves no half file to be read later.
      await writeFile(`${file(j)}.tmp`, JSON.stringify({ ...r, made: made(j) }, null, 1));
      await rename(`${file(j)}.tmp`, file(j));
    }
  };
  if (a.only && process.send) {
    // A worker: runs its share, tells the parent its progress (every 10 steps), renders nothing.
    let pending = 0;
    let run = '';
    await runHere(
      (_, name) => process.send!({ steps: 0, run: (run = name) }),
      () => { if (++pending === 10) { process.send!({ steps: pending, run }); pending = 0; } },
    );
    // Delivered before the process exits (a queued message would be dropped).
    await new Promise<void>((resolve) => process.send!({ steps: pending }, undefined, {}, () => resolve()));
    return 0;
  }
  console.error(`experiment: ${jobs.length} runs (${todo.length} to do, ${jobs.length - todo.length} saved in ${a.out}), ${totalSteps} steps, cpu backend, ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}${a.jobs > 1 ? `, ${a.jobs} processes` : ''}`);
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'experiment |{bar}| {value}/{total} steps | run {run} {name} | ETA {eta_formatted}', hideCursor: false, noTTYOutput: true, notTTYSchedule: 10_000 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalSteps, 0, { run: `0/${todo.length}`, name: '' });
  let done = 0;
  if (a.jobs > 1 && todo.length > 1) {
    // Work ~ images seen (steps × batch): a BYOL run of 2800 × 16 is one of 1400 × 32.
    const shares = partitionByCost(todo, Math.min(a.jobs, todo.length), (j) => { const c = configOf(j); return c.steps * c.batchSize; });
    let started = 0;
    console.error(`experiment: ${shares.map((s, i) => `worker ${i + 1}: ${s.map(key).join(', ')}`).join('; ')}`);
    try {
      await runWorkers(shares.map((s) => s.map(key)), (n, run) => {
        done += n;
        if (run && n === 0) started++;
        bar.update(done, run && n === 0 ? { run: `${started}/${todo.length}`, name: run } : {});
      });
    } finally {
      bar.stop();
    }
    const missing = todo.filter((j) => !saved(j)).map(key);
    if (missing.length) throw new Error(`the workers finished without saving ${missing.join(', ')}`);
  } else {
    await runHere((i, name) => bar.update(done, { run: `${i + 1}/${todo.length}`, name }), () => bar.update(++done));
    bar.stop();
  }
  const runs: ExperimentRun[] = [];
  for (const j of jobs) {
    const r = saved(j);
    if (r) runs.push(r);
  }
  const command = `npm run experiment -- ${process.argv.slice(2).join(' ')}`.trim();
  const tables = renderResults(runs, { command });
  if (a.results === '-') {
    console.log(tables);
    return 0;
  }
  const BEGIN = '<!-- experiment:begin (written by npm run experiment; edits between these markers are overwritten) -->';
  const END = '<!-- experiment:end -->';
  const old = existsSync(a.results) ? await readFile(a.results, 'utf8') : `# Results\n\n${BEGIN}\n${END}\n`;
  const b = old.indexOf(BEGIN);
  const e = old.indexOf(END);
  const text = b >= 0 && e > b ? `${old.slice(0, b + BEGIN.length)}\n${tables}\n${old.slice(e)}` : `${old.trimEnd()}\n\n${BEGIN}\n${tables}\n${END}\n`;
  await writeFile(a.results, text);
  console.error(`experiment: tables written to ${a.results} (${runs.length} runs)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`experiment: ${failureText(e)}`);
    process.exit(1);
  },
);
