// The export to the reference PyTorch stack (solo-learn-sparse): every exported script
// uses only flags its parser accepts (fixture read from its argparse at the pinned commit),
// parses with bash -n, converts our schedule fractions to the hand-computed epochs/steps,
// refuses CDG, and gives the same script from a run.json as from its config.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fixture from '../../fixtures/solo-learn-sparse-flags.json';
import { buildConfig, type PresetName } from '../../../src/engine/config';
import { REFERENCE, type RefDataset } from '../../../src/engine/export/reference';
import { convertSchedule, exportSoloLearnSparse, ExportRefusal } from '../../../src/engine/export/soloLearnSparse';
import { encodeMasks, parseRunFile, RUN_FILE_VERSION, type RunFile } from '../../../src/engine/runFile';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const CLI = join(process.cwd(), 'src/cli/export.ts');

const PRESETS: PresetName[] = ['simclr-dense', 'byol-dense', 'syncp-unstructured', 'syncp-channel', 'syncp-2of4', 'syncp-reference'];
const GPUS = [1, 8];
const DATASETS: RefDataset[] = ['cifar10', 'imagenet'];

/** The flags of the python3 command: every token starting with -- on its continuation lines. */
function commandFlags(script: string): { flags: string[]; values: Map<string, string[]> } {
  const lines = script.split('\n');
  const start = lines.findIndex((l) => l.startsWith('python3 '));
  expect(start).toBeGreaterThan(0);
  const tokens: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].replace(/\\$/, '').trim();
    tokens.push(...line.split(/\s+/).filter(Boolean));
    if (!lines[i].endsWith('\\')) break;
  }
  const flags: string[] = [];
  const values = new Map<string, string[]>();
  let current = '';
  for (const t of tokens.slice(2)) {
    if (t.startsWith('--')) {
      current = t;
      flags.push(t);
      values.set(t, []);
    } else values.get(current)?.push(t);
  }
  return { flags, values };
}

function acceptedFlags(method: 'byol' | 'simclr', given: string[], values: Map<string, string[]>): Set<string> {
  const ok = new Set<string>([...fixture.common, ...fixture.methods[method], ...fixture.trainer]);
  for (const [trigger, extra] of Object.entries(fixture.conditional)) {
    const [flag, value] = trigger.split(' ');
    if (given.includes(flag) && (value === undefined || values.get(flag)?.[0] === value)) extra.forEach((f) => ok.add(f));
  }
  return ok;
}

describe('flag fixture', () => {
  it('was read from the commit the script checks out', () => {
    expect(fixture.commit).toBe(REFERENCE.commit);
    expect(fixture.lightning.version).toBe(REFERENCE.lightning);
    // the spellings that mix dashes and underscores
    for (const f of ['--init-density', '--final-density', '--density_gap', '--init-prune-epoch', '--final-prune-epoch', '--update-frequency', '--prune-rate', '--momentum_mask', '--ema_momentum', '--sparse_enck', '--nm', '--N', '--M']) {
      expect(fixture.common).toContain(f);
    }
    for (const f of ['--devices', '--strategy', '--sync_batchnorm', '--max_epochs', '--precision', '--accelerator']) expect(fixture.trainer).toContain(f);
  });
});

describe.each(PRESETS)('export %s', (preset) => {
  it.each(DATASETS.flatMap((d) => GPUS.map((g) => [d, g] as const)))('to %s on %i GPU(s): only accepted flags, bash -n parses it', (dataset, gpus) => {
    const config = buildConfig({ preset });
    const r = exportSoloLearnSparse(config, { dataset, gpus, source: `preset ${preset}` });
    const { flags, values } = commandFlags(r.script);
    const accepted = acceptedFlags(config.ssl.method as 'simclr' | 'byol', flags, values);
    const unknown = flags.filter((f) => !accepted.has(f));
    expect(unknown, `flags the reference does not accept: ${unknown.join(', ')}`).toEqual([]);
    expect(new Set(flags).size).toBe(flags.length);
    expect(flags).toEqual(r.args.map(([f]) => f));

    expect(values.get('--strategy')).toEqual(['ddp']);
    expect(values.get('--devices')).toEqual([Array.from({ length: gpus }, (_, i) => i).join(',')]);
    expect(flags.includes('--sync_batchnorm')).toBe(gpus > 1);
    expect(values.get('--dataset')).toEqual([dataset]);
    expect(values.get('--method')).toEqual([config.ssl.method]);
    expect(values.get('--backbone')).toEqual(['sresnet18']);
    expect(values.get('--optimizer')).toEqual(['lars']);
    // solo-learn's BYOL m₀ (0.99), whatever the playground's short-run m₀ is.
    if (config.ssl.method === 'byol') expect(values.get('--base_tau_momentum')).toEqual(['0.99']);
    if (config.syncp) {
      expect(values.get('--prune')).toEqual(['True']);
      expect(values.get('--sparse_enck')).toEqual(['True']);
      expect(values.get('--density_gap')).toEqual([String(config.syncp.gap)]);
      expect(values.get('--init-prune-epoch')).toEqual([String(r.schedule!.initPruneEpoch)]);
      expect(values.get('--final-prune-epoch')).toEqual([String(r.schedule!.finalPruneEpoch)]);
      expect(values.get('--update-frequency')).toEqual([String(r.schedule!.updateFrequency)]);
      expect(values.get('--final-density')).toEqual(values.get('--slist'));
    } else {
      expect(flags.filter((f) => /prune|density|--nm$/.test(f))).toEqual([]);
    }
    if (config.syncp?.granularity === 'nm') {
      expect(values.get('--nm')).toEqual(['True']);
      expect(values.get('--N')).toEqual(['2']);
      expect(values.get('--M')).toEqual(['4']);
    } else expect(flags).not.toContain('--nm');

    const bash = spawnSync('bash', ['-n'], { input: r.script, encoding: 'utf8' });
    expect(bash.stderr).toBe('');
    expect(bash.status).toBe(0);
    expect(r.script).toContain(`REF_COMMIT=${REFERENCE.commit}`);
    expect(r.mapping).toContain(REFERENCE.commit);
  });
});

/** Whether python3 runs here (the machine image has it; a skip shows in the report when not). */
const hasPython3 = !spawnSync('python3', ['--version']).error;

describe('the launcher the script writes', () => {
  it.skipIf(!hasPython3)('is Python that parses', () => {
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }), { gpus: 8 });
    const body = r.script.split("<<'PY'\n")[1].split('\nPY\n')[0];
    expect(body).toContain('main_pretrain.main()');
    const py = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: body, encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
  });
});

describe('schedule conversion (hand-computed)', () => {
  const w = { start: 0.1, end: 0.7, every: 0.05 };

  it('CIFAR-10, 1 GPU, 256 a GPU, 1000 epochs', () => {
    // train_steps = floor(50000/256) = 195 = batches an epoch; run = 195 000 batches
    // init = 0.1·195000/195 = 100, final = 0.7·195000/195 = 700, every = 0.05·195000 = 9750
    const s = convertSchedule(w, { datasetSize: 50_000, gpus: 1, batchPerGpu: 256, epochs: 1000 });
    expect([s.refEpochBatches, s.batchesPerEpoch, s.totalBatches]).toEqual([195, 195, 195_000]);
    expect([s.initPruneEpoch, s.finalPruneEpoch, s.updateFrequency]).toEqual([100, 700, 9750]);
    expect(s.achieved).toEqual({ start: 0.1, end: 0.7, every: 0.05 });
    expect(s.notes).toEqual([]);
  });

  it('CIFAR-10, 8 GPUs, 32 a GPU, 1000 epochs: one of its epochs is 8 real ones', () => {
    // train_steps = floor(50000/32) = 1562; a process runs floor(6250/32) = 195 an epoch → 195 000
    // init = round(19500/1562 = 12.48) = 12, final = round(136500/1562 = 87.39) = 87, every = 9750
    const s = convertSchedule(w, { datasetSize: 50_000, gpus: 8, batchPerGpu: 32, epochs: 1000 });
    expect([s.refEpochBatches, s.batchesPerEpoch, s.totalBatches]).toEqual([1562, 195, 195_000]);
    expect([s.initPruneEpoch, s.finalPruneEpoch, s.updateFrequency]).toEqual([12, 87, 9750]);
    expect(s.achieved.start).toBeCloseTo((12 * 1562) / 195_000, 4); // 0.0961
    expect(s.achieved.end).toBeCloseTo((87 * 1562) / 195_000, 4); // 0.6969
  });

  it('ImageNet, 1 GPU, 128 a GPU, 100 epochs', () => {
    // train_steps = floor(1281167/128) = 10009; run = 1 000 900; init 10, final 70, every 50045
    const s = convertSchedule(w, { datasetSize: 1_281_167, gpus: 1, batchPerGpu: 128, epochs: 100 });
    expect([s.refEpochBatches, s.totalBatches]).toEqual([10009, 1_000_900]);
    expect([s.initPruneEpoch, s.finalPruneEpoch, s.updateFrequency]).toEqual([10, 70, 50045]);
  });

  it('ImageNet, 8 GPUs, 128 a GPU, 100 epochs', () => {
    // a process: floor(ceil(1281167/8) = 160146 / 128) = 1251 an epoch → 125 100
    // init = round(12510/10009 = 1.25) = 1, final = round(87570/10009 = 8.75) = 9, every = round(6255) = 6255
    const s = convertSchedule(w, { datasetSize: 1_281_167, gpus: 8, batchPerGpu: 128, epochs: 100 });
    expect([s.refEpochBatches, s.batchesPerEpoch, s.totalBatches]).toEqual([10009, 1251, 125_100]);
    expect([s.initPruneEpoch, s.finalPruneEpoch, s.updateFrequency]).toEqual([1, 9, 6255]);
  });

  it('never prunes at its step 0, and keeps at least one update in the ramp', () => {
    // start 0 → epoch 0 → moved to 1; end 0.0001 → epoch 0 → moved to 2
    const s = convertSchedule({ start: 0, end: 0.0001, every: 1 }, { datasetSize: 50_000, gpus: 1, batchPerGpu: 256, epochs: 10 });
    expect([s.initPruneEpoch, s.finalPruneEpoch]).toEqual([1, 2]);
    expect(s.updateFrequency).toBe(195); // lowered from 1950 so that the ramp has one update
    expect(s.notes.length).toBe(3);
  });

  it('the presets use these numbers', () => {
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }), { dataset: 'imagenet', gpus: 8 });
    expect([r.schedule!.initPruneEpoch, r.schedule!.finalPruneEpoch, r.schedule!.updateFrequency]).toEqual([1, 9, 6255]);
    const u = exportSoloLearnSparse(buildConfig({ preset: 'syncp-unstructured' }), { dataset: 'cifar10', gpus: 1 });
    expect([u.schedule!.initPruneEpoch, u.schedule!.finalPruneEpoch, u.schedule!.updateFrequency]).toEqual([100, 700, 9750]);
  });
});

describe('densities', () => {
  const value = (preset: PresetName, flag: string) => {
    const r = exportSoloLearnSparse(buildConfig({ preset }), { gpus: 8 });
    return r.args.find(([f]) => f === flag)?.slice(1);
  };
  it('syncp-unstructured: online 0.2, gap 0.3, start 0.95 − 0.3', () => {
    expect(value('syncp-unstructured', '--final-density')).toEqual(['0.2']);
    expect(value('syncp-unstructured', '--density_gap')).toEqual(['0.3']);
    expect(value('syncp-unstructured', '--init-density')).toEqual(['0.65']);
  });
  // Found by a read-only hunt: MAPPING said the regrowth rate decays to 0.005, but byol.py's
  // cosine period counts the whole dataset's batches and a process on G GPUs runs 1/G of them.
  it('regrowth: the rate at the end of the run is the reference cosine\'s at π/G, by hand', () => {
    // floor + (rate − floor)(1 + cos(π/G))/2: 0.3 on 8 GPUs → 0.005 + 0.295 · 0.9619 = 0.2888; 1 GPU → the floor.
    const at = (gpus: number) => exportSoloLearnSparse(buildConfig({ preset: 'syncp-unstructured', overrides: { syncp: { regrowth: { enabled: true, rate: 0.3 } } } }), { gpus });
    expect(at(8).mapping).toMatch(/on 8 GPUs it ends at 29% of the kept weights an update \(1 GPU: 0\.005\)/);
    expect(at(1).mapping).toMatch(/on 1 GPU it ends at 0\.5% of the kept weights/);
    // Off here: rate 0 rises towards the floor, reaching 0.005 · (1 − cos(π/8))/2 = 0.00019 on 8 GPUs.
    const off = exportSoloLearnSparse(buildConfig({ preset: 'syncp-unstructured' }), { gpus: 8 });
    expect(off.mapping).toMatch(/reaching 0\.019% of each layer's kept weights an update by the end on 8 GPUs/);
  });

  it('the ImageNet BYOL recipe\'s gradient accumulation is said not to carry over', () => {
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }), { dataset: 'imagenet', gpus: 3 });
    expect(r.mapping).toMatch(/--accumulate_grad_batches[^\n]*\*\*not carried\*\*: the recipe[^\n]*accumulates 16 batches[^\n]*384 images, 16× fewer/);
    expect(exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }), { dataset: 'cifar10', gpus: 3 }).mapping).not.toMatch(/accumulate_grad_batches/);
  });

  it('syncp-channel: exported as unstructured (no channel pruner there), said so', () => {
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-channel' }));
    expect(r.args.find(([f]) => f === '--final-density')?.[1]).toBe('0.5');
    expect(r.args.find(([f]) => f === '--density_gap')?.[1]).toBe('0.25');
    expect(r.warnings.join('\n')).toMatch(/ContrastiveGrp\) is a stub/);
    expect(r.mapping).toMatch(/no counterpart/);
    // Named by what runs there.
    expect(r.args.find(([f]) => f === '--name')?.[1]).toMatch(/^byol-syncp-unstructured-from-channel-/);
  });
  it('a set predictor (ssl.predictor directcopy) is said not to carry over; the trained one (mlp) says nothing of it', () => {
    const set = exportSoloLearnSparse(buildConfig({ preset: 'syncp-unstructured', overrides: { ssl: { predictor: 'directcopy' } } }));
    expect(set.mapping).toMatch(/ssl\.predictor = directcopy[^\n]*\*\*differs\*\*: not carried/);
    expect(exportSoloLearnSparse(buildConfig({ preset: 'syncp-unstructured' })).mapping).not.toMatch(/ssl\.predictor =/);
  });
  it('syncp-2of4: --nm 2:4, final density N/M, and the 0.99 end of its ramp said', () => {
    expect(value('syncp-2of4', '--final-density')).toEqual(['0.5']);
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }));
    expect(r.warnings.join('\n')).toMatch(/0\.99/);
    expect(r.mapping).toMatch(/per-branch/);
  });
  it('under N:M the layer budget (which the N:M masker never reads) is not called a difference', () => {
    for (const layerBudget of ['uniform', 'global', 'erk'] as const) {
      const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4', overrides: { syncp: { layerBudget } } }));
      expect(r.mapping, layerBudget).toMatch(new RegExp(`syncp\\.layerBudget = ${layerBudget}[^\\n]*same`));
      expect(r.warnings.join('\n'), layerBudget).not.toMatch(/layer budget/);
    }
  });
  it('score EMA maps to --momentum_mask / --ema_momentum; a gap too large is lowered and said', () => {
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-unstructured', overrides: { syncp: { scoreEma: 0.99, gap: 0.9 } } }));
    expect(r.args.find(([f]) => f === '--momentum_mask')?.[1]).toBe('True');
    expect(r.args.find(([f]) => f === '--ema_momentum')?.[1]).toBe('0.99');
    expect(r.args.find(([f]) => f === '--density_gap')?.[1]).toBe('0.75');
    expect(r.warnings.join('\n')).toMatch(/density gap 0\.9 lowered to 0\.75/);
  });
});

describe('refusals', () => {
  it('CDG: no public implementation, and what to use instead', () => {
    expect(() => exportSoloLearnSparse(buildConfig({ preset: 'cdg' }))).toThrow(ExportRefusal);
    expect(() => exportSoloLearnSparse(buildConfig({ preset: 'cdg' }))).toThrow(/no public implementation.*dense preset/s);
  });
  it('SimCLR with SyncCP: its pruner is in BYOL only', () => {
    const config = buildConfig({ preset: 'syncp-unstructured', overrides: { ssl: { method: 'simclr' } } });
    expect(() => exportSoloLearnSparse(config)).toThrow(/BYOL only/);
  });
  it('a source name with a newline stays inside the script’s comment line', () => {
    const r = exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }), { source: 'run.json\nrm -rf ~\r' });
    const lines = r.script.split('\n');
    expect(lines.filter((l) => l.includes('rm -rf')).every((l) => l.startsWith('#'))).toBe(true);
    expect(r.script).not.toMatch(/\r/);
  });
  it('an unstructured or channel density at or above 0.95: the reference cannot start denser than it ends', () => {
    for (const preset of ['syncp-unstructured', 'syncp-channel']) {
      for (const density of [1, 0.95]) expect(() => exportSoloLearnSparse(buildConfig({ preset, overrides: { syncp: { density } } })), `${preset} ${density}`).toThrow(/cannot be exported.*at most 0\.95/s);
      expect(() => exportSoloLearnSparse(buildConfig({ preset, overrides: { syncp: { density: 0.9 } } }))).not.toThrow();
    }
  });
  it('N:M whose M does not divide resnet-18’s conv widths (the reference reshapes into whole groups of M)', () => {
    const nm = (n: number, m: number) => buildConfig({ preset: 'syncp-2of4', overrides: { syncp: { n, m } } });
    // 64·64·9 weights are no whole number of groups of 5 or 7; 64·128 (a shortcut) none of 3 or 6.
    for (const [n, m] of [[2, 5], [1, 3], [4, 6], [3, 7], [2, 128]]) expect(() => exportSoloLearnSparse(nm(n, m)), `${n}:${m}`).toThrow(/M must be 2, 4, 8, 16, 32 or 64/);
    for (const [n, m] of [[1, 2], [2, 4], [4, 8], [8, 16]]) expect(() => exportSoloLearnSparse(nm(n, m)), `${n}:${m}`).not.toThrow();
  });
});

describe('CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses cdg with exit 2 and says why; bad usage is exit 2 with the usage', async () => {
    const cdg = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--preset', 'cdg']).catch((e) => e);
    expect(cdg.code).toBe(2);
    expect(cdg.stderr).toMatch(/CDG .*no public implementation/);
    const bad = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--preset', 'nope', '--gpus', '0']).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage: npm run export/);
    // A CLI hunt: 1 passed the flag's check and was refused by the export without the flag's name.
    const one = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--preset', 'syncp-2of4', '--batch-per-gpu', '1']).catch((e) => e);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/--batch-per-gpu must be an integer from 2 to 65536 \(got "1"\)[\s\S]*usage: npm run export/);
  });

  it('refuses a batch larger than a GPU\'s share of the data (the script\'s schedule would be NaN) and an --out it cannot write', async () => {
    // CIFAR-10: 50000 images over 8 GPUs is 6250 a GPU, so a batch of 8192 gives each GPU 0 batches an epoch.
    const big = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--preset', 'syncp-2of4', '--gpus', '8', '--batch-per-gpu', '8192']).catch((e) => e);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/batch per GPU 8192 is more than a GPU's share of cifar10 \(6250 of 50000 images over 8 GPUs\): at most 6250/);
    expect(exportSoloLearnSparse(buildConfig({ preset: 'syncp-2of4' }), { gpus: 8, batchPerGpu: 6250 }).script).not.toMatch(/NaN|Infinity/);
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const out = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--preset', 'syncp-2of4', '--out', file]).catch((e) => e);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--out .*a-file: cannot write there \(EEXIST\)/);
  });

  it('a run.json exports the same script as its config; --out writes pretrain.sh (executable) and MAPPING.md', async () => {
    // a run.json as `npm run train -- --out` writes it (config, history, masks)
    const config = buildConfig({ preset: 'syncp-2of4' });
    const file: RunFile = {
      version: RUN_FILE_VERSION,
      createdAt: new Date(0).toISOString(),
      config,
      history: [{ step: 1, loss: 1.5 }],
      masks: encodeMasks([{ name: 's1.b0.conv1', shape: [3, 3, 4, 4], online: new Uint8Array(144).fill(1), target: new Uint8Array(144).fill(1) }]),
    };
    const runPath = join(dir, 'run.json');
    await writeFile(runPath, JSON.stringify(file));

    // in the engine: decoded run → same script as from the config
    const decoded = parseRunFile(await readFile(runPath, 'utf8'));
    const opts = { dataset: 'imagenet' as const, gpus: 8, source: 'x' };
    expect(exportSoloLearnSparse(decoded.config, opts).script).toBe(exportSoloLearnSparse(config, opts).script);

    // through the CLI: only the "from …" line of the header differs
    const fromRun = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--run', runPath, '--gpus', '8', '--dataset', 'imagenet']);
    const out = join(dir, 'out');
    const fromPreset = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--preset', 'syncp-2of4', '--gpus', '8', '--dataset', 'imagenet', '--out', out]);
    expect(fromPreset.stdout).toBe('');
    expect(fromPreset.stderr).toMatch(/what does not carry over/);
    const written = await readFile(join(out, 'pretrain.sh'), 'utf8');
    const strip = (s: string) => s.replace(/^# from .*$/m, '# from …');
    expect(strip(fromRun.stdout)).toBe(strip(written));
    expect(fromRun.stdout).toContain(`# from run file ${runPath}.`);
    expect((await stat(join(out, 'pretrain.sh'))).mode & 0o111).not.toBe(0);
    expect(await readFile(join(out, 'MAPPING.md'), 'utf8')).toMatch(/^# MAPPING/);

    // As the page reads it: with a byte-order mark, and under a name that does not say what it is.
    const bom = join(dir, 'run-bom.JSON');
    await writeFile(bom, '\uFEFF' + JSON.stringify(file));
    const fromBom = await run(TSX, [CLI, '--to', 'solo-learn-sparse', '--run', bom, '--gpus', '8', '--dataset', 'imagenet']);
    expect(strip(fromBom.stdout)).toBe(strip(written));
  });
});
