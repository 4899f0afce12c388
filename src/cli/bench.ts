// `npm run bench -- [--backend cpu|webgpu|wasm] [--tiny] [--presets a,b] [--json] [--rounds N]
//  [--warmup N] [--state end|ramp|both] [--markdown FILE] [--browser] [--long] [--steps N]`
// Times every preset's training step in one process, interleaved (src/engine/bench.ts says
// how); --browser does the same in Chromium for the page's backends; --long runs ≥ 1000
// steps of every preset and fails if numTensors or bytes grow.
// Exit codes: 0 done, 1 a run failed, memory grew or tensors were left after dispose (--long),
// or --markdown was given and the backend asked for fell back to another; 2 bad usage.
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, release, type } from 'node:os';
import cliProgress from 'cli-progress';
import { longMarkdown, markdownSection, textTable, upsertSection, type BenchRow, type LongResult, type MachineInfo } from '../engine/benchTable';
import { parseBenchArgs, USAGE, UsageError } from './benchArgs';
import { failureText, writableFile } from './args';
import { imageSideOrDefault } from '../engine/data/imageSide';

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
    // Before the bench: a file it cannot write, found after it, lost its figures behind a stack trace.
    if (args.markdown && !args.help) await writableFile(args.markdown, '--markdown');
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
  const [{ benchConfig, runBench, runLong }, { loadDataset }, { startNodeBackend }, { convShares }] = await Promise.all([
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
    print(r.rows, args.json);
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
    if (kept.length) console.error(`bench: tensors left after dispose in ${kept.map((r) => `${r.preset} (${r.leftAfterDispose})`).join(', ')}`);
    if (args.markdown) await writeMarkdown(args.markdown, keyed(`long-${be.backend}`), markdownSection(titled(`Long run · ${be.backend} · tiny · ${steps} steps a preset`), [], m, command, results));
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
  print(rows, args.json);
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

function print(rows: BenchRow[], json: boolean): void {
  if (json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  else if (rows.length) console.log(textTable(rows));
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${failureText(e)}`);
    process.exit(1);
  },
);
