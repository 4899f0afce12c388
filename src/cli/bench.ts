// `npm run bench -- [--backend cpu|webgpu|wasm] [--tiny] [--presets a,b] [--json] [--rounds N]
//  [--warmup N] [--state end|ramp|both] [--markdown FILE] [--browser] [--long] [--steps N]`
// Times every preset's training step in one process, interleaved (src/engine/bench.ts says
// how); --browser does the same in Chromium for the page's backends; --long runs ≥ 1000
// steps of every preset and fails if numTensors or bytes grow.
// Exit codes: 0 done, 1 a run failed, memory grew or tensors were left after dispose (--long),
// or --markdown was given and the backend asked for fell back to another; 2 bad usage.
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, release, type } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { BenchRow, BenchState, LongResult, MachineInfo } from '../engine/bench';
import { LONG_READ_EVERY } from '../engine/benchLong';
import { PRESET_NAMES } from '../engine/config';
import { imageSideOrDefault } from '../engine/data/imageSide';
import type { NodeBackendName } from './nodeBackend';

const USAGE = `usage: npm run bench -- [options]
  --backend B       cpu | webgpu | wasm (default cpu; Node)
  --tiny            the app's tiny size (batch 8, 200 / 100 images; default: the default size)
  --presets a,b     presets to time (default all: ${PRESET_NAMES.join(', ')});
                    the dense preset of the same recipe each is compared with is added
                    (NAME@dense, the preset without its sparsity, where no dense preset shares
                    its recipe: syncp-reference)
  --state S         end | ramp | both (default both)
  --rounds N        measured rounds, one step of every preset each (default 20 tiny, 100 tiny on cpu and wasm, 5 default size)
  --warmup N        unmeasured rounds first (default 2)
  --json            one JSON line per preset and state on stdout
  --markdown FILE   write (or update) this bench's table in FILE with the machine and command
  --browser         the page's backends (webgpu, webgl, wasm, cpu) in Chromium (/usr/bin/chromium or
                    $CHROMIUM_PATH) on a bench page built by Vite; --backends a,b picks some
  --backends a,b    with --browser: which page backends (default webgpu,webgl,wasm,cpu)
  --long            every preset for --steps steps (default 1000, tiny), numTensors and bytes
                    read every 100 steps; exits 1 if either grows or tensors are left after dispose
  --steps N         steps per preset for --long
  --sparse-kernels M auto | off | both (default auto): off times the masked dense work, for
                    comparison (SyncCP's masked convs; CDG's conditional path only where needed,
                    cpu and webgpu); both times each sparse preset twice in the same rounds, as itself and
                    as NAME@off (kernels off), so auto/off ratios share the load
  --gate-gradient G ste | detached: CDG's gate gradient for the presets that run CDG (default: the preset's)
  --conv-threads    cpu: a second thread computes half of each large conv, as npm run train and
                    npm run experiment do (src/cli/convThreads.ts); by default one thread, as the
                    page's cpu backend runs
  --kernels         where sparse kernels pay: conv(x, W ⊙ M) forward + gradients over the
                    model's prunable convs, masked dense vs row-sparse vs what auto picks,
                    per mask kind and density (cpu: row-sparse; webgpu: the WGSL sparse
                    programs, and for channel masks the compact conv as tf ops)
  --profile         the dense counterpart's conv share of a step (tf.profile) and each sparse
                    preset's Amdahl bound (1 − s) + s · conv FLOPs ratio: the best time ratio
                    that skipping conv work alone can reach; JSON lines
  --help`;

class UsageError extends Error {}

const STATES: Record<string, BenchState[]> = { end: ['end'], ramp: ['ramp'], both: ['end', 'ramp'] };

function parseBenchArgs(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: 'string' },
        backends: { type: 'string' },
        tiny: { type: 'boolean', default: false },
        presets: { type: 'string' },
        state: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        json: { type: 'boolean', default: false },
        markdown: { type: 'string' },
        browser: { type: 'boolean', default: false },
        long: { type: 'boolean', default: false },
        steps: { type: 'string' },
        'sparse-kernels': { type: 'string' },
        'gate-gradient': { type: 'string' },
        'conv-threads': { type: 'boolean', default: false },
        kernels: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const int = (name: string, s: string | undefined, min: number) => {
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${name} must be an integer ≥ ${min} (got "${s}")`);
    return Number(s);
  };
  const backend = v.backend ?? 'cpu';
  if (!['cpu', 'webgpu', 'wasm'].includes(backend)) throw new UsageError(`--backend must be cpu, webgpu or wasm (got "${backend}")`);
  if (v.browser && v.backend) throw new UsageError('--browser times the page backends: use --backends webgpu,webgl,cpu instead of --backend');
  if (v.browser && v.long) throw new UsageError('--long runs in Node only');
  // The modes are one each: run together, the first would run alone and the others be
  // dropped without a word (--long --profile skipped the leak check and exited 0).
  const modes = (['long', 'kernels', 'profile', 'browser'] as const).filter((m) => v[m]);
  if (modes.length > 1) throw new UsageError(`--${modes.join(' and --')} are separate benches: run one at a time`);
  if (v.profile && v.markdown) throw new UsageError('--profile prints its table only: --markdown goes with the step bench, --kernels or --long');
  const presets = v.presets !== undefined ? v.presets.split(',').map((s) => s.trim()) : [...PRESET_NAMES];
  if (presets.some((p) => !p)) throw new UsageError(`--presets needs preset names separated by commas (got "${v.presets}")`);
  for (const p of presets) if (!(PRESET_NAMES as readonly string[]).includes(p)) throw new UsageError(`unknown preset "${p}" (known: ${PRESET_NAMES.join(', ')})`);
  if (new Set(presets).size < presets.length) throw new UsageError(`--presets names a preset twice (got "${v.presets}")`);
  const state = v.state ?? 'both';
  if (!STATES[state]) throw new UsageError(`--state must be end, ramp or both (got "${state}")`);
  const backends = v.backends ? v.backends.split(',').map((s) => s.trim()).filter(Boolean) : ['webgpu', 'webgl', 'wasm', 'cpu'];
  for (const b of backends) if (!['webgpu', 'webgl', 'wasm', 'cpu'].includes(b)) throw new UsageError(`--backends: the page has webgpu, webgl, wasm and cpu (got "${b}")`);
  if (v.backends && !v.browser) throw new UsageError('--backends goes with --browser');
  if (v['conv-threads'] && (v.browser || backend !== 'cpu')) throw new UsageError('--conv-threads is for --backend cpu in Node');
  const sparseKernels = v['sparse-kernels'] ?? 'auto';
  if (!['auto', 'off', 'both'].includes(sparseKernels)) throw new UsageError(`--sparse-kernels must be auto, off or both (got "${sparseKernels}")`);
  const steps = int('steps', v.steps, 1);
  if (steps !== undefined && !v.long) throw new UsageError('--steps goes with --long');
  // Memory is read every LONG_READ_EVERY steps: growth needs two readings to be seen at all.
  if (steps !== undefined && steps < 2 * LONG_READ_EVERY) throw new UsageError(`--long reads memory every ${LONG_READ_EVERY} steps, so --steps must be at least ${2 * LONG_READ_EVERY} to compare two readings (got ${steps})`);
  const gateGradient = v['gate-gradient'];
  if (gateGradient !== undefined && !['ste', 'detached'].includes(gateGradient)) throw new UsageError(`--gate-gradient must be ste or detached (got "${gateGradient}")`);
  // What narrows or changes the default bench: a markdown table written with any of these
  // gets a section of its own, so a partial run never replaces the full table.
  const selection = [
    ...(presets.length < PRESET_NAMES.length ? [`presets ${presets.join(',')}`] : []),
    ...(state !== 'both' ? [`state ${state}`] : []),
    ...(sparseKernels !== 'auto' ? [`sparse-kernels ${sparseKernels}`] : []),
    ...(gateGradient ? [`gate-gradient ${gateGradient}`] : []),
    ...(v['conv-threads'] ? ['conv-threads'] : []),
  ];
  return {
    help: v.help,
    selection,
    backend: backend as NodeBackendName,
    backends,
    tiny: v.tiny,
    presets: sparseKernels === 'both' ? presets.flatMap((p) => (p.endsWith('-dense') ? [p] : [p, `${p}@off`])) : presets,
    states: STATES[state],
    rounds: int('rounds', v.rounds, 1),
    warmup: int('warmup', v.warmup, 0),
    json: v.json,
    markdown: v.markdown,
    browser: v.browser,
    long: v.long,
    steps,
    overrides: { kernels: { sparse: sparseKernels === 'off' ? 'off' : 'auto' }, ...(gateGradient ? { cdg: { gateGradient } } : {}) },
    kernels: v.kernels,
    profile: v.profile,
    convThreads: v['conv-threads'],
  };
}

function machine(): MachineInfo {
  const c = cpus();
  return { os: `${type()} ${release()}`, cpu: c[0]?.model?.trim(), cores: c.length, node: process.version };
}

function progressBar(label: string) {
  if (!process.stderr.isTTY || process.env.CI) return undefined;
  return new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} |{bar}| {value}/{total} steps | {what}`, hideCursor: false, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
}

async function writeMarkdown(file: string, key: string, section: string): Promise<void> {
  const { upsertSection } = await import('../engine/bench');
  let doc = '';
  try {
    doc = await readFile(file, 'utf8');
  } catch {
    /* a new file */
  }
  await writeFile(file, upsertSection(doc, key, section));
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bench: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // tfjs, the backends and the data only now: a bad flag above answers at once.
  const [{ benchConfig, longMarkdown, markdownSection, runBench, runLong }, { loadDataset }, { startNodeBackend }, { convShares }] = await Promise.all([
    import('../engine/bench'),
    import('../engine/data'),
    import('./nodeBackend'),
    import('../engine/stepProfile'),
  ]);
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const size = args.tiny || args.long ? 'tiny' : 'default';
  const info = machine();
  const keyed = (key: string) => [key, ...args.selection.map((s) => s.replace(/[ ,]/g, '-'))].join('@');
  const titled = (title: string) => [title, ...args.selection].join(' · ');

  if (args.browser) {
    const { benchInBrowser } = await import('./benchBrowser');
    const bar = progressBar('bench (browser)');
    let started = false;
    const r = await benchInBrowser({
      backends: args.backends,
      presets: args.presets,
      overrides: args.overrides,
      tiny: args.tiny,
      states: args.states,
      rounds: args.rounds,
      warmup: args.warmup,
      onProgress: (p) => {
        if (!bar) return;
        if (!started) {
          bar.start(p.total, 0, { what: '' });
          started = true;
        }
        bar.setTotal(p.total);
        bar.update(p.done, { what: `${p.backend} ${p.state} ${p.preset}` });
      },
      log: (s) => console.error(`bench: ${s}`),
    });
    bar?.stop();
    for (const e of r.errors) console.error(`bench: ${e.backend}: ${e.message}`);
    for (const c of r.gateChecks) {
      console.error(`bench: CDG's ${c.backend} gate selection in ${r.browserVersion}: ${c.cases} cases, ${c.mismatches.length} differing from topKGate`);
      for (const t of c.timings ?? []) console.error(`bench: ${c.backend} selection at n=${t.n}: radix select ${t.radixMs.toFixed(1)} ms, topk + scatter ${t.topkMs.toFixed(1)} ms`);
    }
    if (r.sparseConvCheck) console.error(`bench: sparse masked conv on webgpu in ${r.browserVersion}: ${r.sparseConvCheck.cases} cases, ${r.sparseConvCheck.mismatches.length} differing from the masked dense conv`);
    await print(r.rows, args.json);
    // A backend that failed would leave a partial table under the full one's name: not written.
    if (args.markdown && r.errors.length > 0) console.error(`bench: ${args.markdown} not written: ${r.errors.map((e) => e.backend).join(', ')} failed`);
    else if (args.markdown) {
      const m = { ...info, browser: r.browserVersion, adapter: Object.entries(r.adapters).map(([b, a]) => `${b}: ${a}`).join('; ') };
      await writeMarkdown(args.markdown, keyed(`browser-${args.backends.join('+')}-${size}`), markdownSection(titled(`Chromium · ${args.backends.join(', ')} · ${size}`), r.rows, m, command));
    }
    return r.rows.length > 0 && r.errors.length === 0 ? 0 : 1;
  }

  const be = await startNodeBackend(args.backend, { convThreads: args.convThreads });
  if (be.warning) console.error(`bench: warning — ${be.warning}`);
  if (args.markdown && be.backend !== args.backend) {
    // Its table would go under the backend that ran, beside a command naming the other one.
    console.error(`bench: --backend ${args.backend} did not start (${be.backend} instead): nothing measured, ${args.markdown} not written`);
    return 1;
  }
  if (args.kernels) return kernelTable(args.tiny, args.rounds ?? 3, args.json, args.markdown, { ...info, adapter: be.adapter, backend: be.backend }, command);
  const probe = benchConfig(args.presets[0], args.tiny || args.long);
  const dataset = await loadDataset('shapes', { seed: probe.seed, trainCount: probe.data.trainCount, testCount: probe.data.testCount });
  const m = { ...info, adapter: be.adapter };

  if (args.profile) {
    const rows = await convShares(args.presets.filter((p) => !p.endsWith('@off')), args.tiny, dataset, args.states[0], args.rounds ?? 3, args.overrides);
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }

  if (args.long) {
    const steps = args.steps ?? 1000;
    const bar = progressBar('bench --long');
    bar?.start(steps * args.presets.length, 0, { what: '' });
    const results: LongResult[] = await runLong({
      presets: args.presets,
      tiny: true,
      dataset,
      steps,
      overrides: args.overrides,
      onProgress: (p) => bar?.update(args.presets.indexOf(p.preset) * steps + p.step, { what: p.preset }),
    });
    bar?.stop();
    if (args.json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    else console.log(longMarkdown(results));
    const grown = results.filter((r) => !r.flat);
    const kept = results.filter((r) => r.leftAfterDispose !== 0);
    if (args.markdown) await writeMarkdown(args.markdown, keyed(`long-${be.backend}`), markdownSection(titled(`Long run · ${be.backend} · tiny · ${steps} steps a preset`), [], m, command, results));
    if (kept.length) console.error(`bench: tensors left after dispose in ${kept.map((r) => `${r.preset} (${r.leftAfterDispose})`).join(', ')}`);
    if (grown.length) {
      console.error(`bench: memory grew in ${grown.map((r) => `${r.preset} (+${r.tensorGrowth} tensors, +${r.byteGrowth} bytes)`).join(', ')}`);
      return 1;
    }
    if (kept.length) return 1;
    console.error(`bench: numTensors and bytes flat over ${steps} steps of ${results.length} presets`);
    return 0;
  }

  const bar = progressBar(`bench ${be.backend}`);
  let current = '';
  const rows: BenchRow[] = await runBench({
    presets: args.presets,
    tiny: args.tiny,
    states: args.states,
    rounds: args.rounds,
    warmup: args.warmup,
    dataset,
    overrides: args.overrides,
    onProgress: (p) => {
      if (!bar) return;
      if (current !== p.state) {
        if (current) bar.stop();
        bar.start(p.total, 0, { what: '' });
        current = p.state;
      }
      bar.update(p.done, { what: `${p.state} ${p.warmup ? 'warm-up ' : ''}${p.preset}` });
    },
  });
  bar?.stop();
  await print(rows, args.json);
  if (args.markdown) {
    await writeMarkdown(args.markdown, keyed(`node-${be.backend}-${size}`), markdownSection(titled(`Node · ${be.backend} · ${size}`), rows, m, command));
  }
  return 0;
}

/** --kernels: the sparse conv paths against the masked dense one, per mask kind and density. */
async function kernelTable(tiny: boolean, rounds: number, json: boolean, markdown: string | undefined, m: MachineInfo & { backend: string }, command: string): Promise<number> {
  const [{ benchConfig }, { KERNEL_BENCH_CASES, kernelMarkdown, kernelSection, runKernelBench }] = await Promise.all([import('../engine/bench'), import('../engine/kernelBench')]);
  const config = benchConfig('simclr-dense', tiny);
  const cases = KERNEL_BENCH_CASES;
  const bar = progressBar('bench --kernels');
  bar?.start(cases.length, 0, { what: '' });
  const rows = await runKernelBench(config.model, imageSideOrDefault(config.data.imageSize), 3, 2 * config.batchSize, cases, rounds, (done) => bar?.update(done, { what: '' }));
  bar?.stop();
  const backend = m.backend;
  if (json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  else console.log(kernelMarkdown(rows, backend === 'webgpu' ? 'WGSL sparse' : 'row-sparse'));
  const key = `kernels-${backend === 'cpu' ? '' : `${backend}-`}${tiny ? 'tiny' : 'default'}`;
  if (markdown) await writeMarkdown(markdown, key, kernelSection(rows, m, command, tiny, backend));
  return 0;
}

async function print(rows: BenchRow[], json: boolean): Promise<void> {
  const { textTable } = await import('../engine/bench');
  if (json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (rows.length) console.log(textTable(rows));
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
