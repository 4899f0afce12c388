// The train CLI's contract (DESIGN.md): JSON lines, exit codes, run.json.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/runCli';
import { parseRunFile } from '../../../src/engine/runFile';

/** --tiny runs here take the app's small data (the CLIs' 1000 / 1200 images only slow a contract test). */
const SMALL_DATA = ['--data.trainCount', '200', '--data.testCount', '100'];

function train(args: string[]): Promise<CliResult> {
  return runCli('src/cli/train.ts', [...args, ...(args.includes('--tiny') ? SMALL_DATA : [])]);
}

describe('npm run train', () => {
  it('--json prints start, one row per logged step, end — and --out writes run.json', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sparsecl-'));
    const r = await train(['--preset', 'byol-dense', '--tiny', '--steps', '4', '--json', '--backend', 'cpu', '--seed', '7', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', backend: 'cpu' });
    expect(lines[0].config.ssl.method).toBe('byol');
    expect(lines[0].config.seed).toBe(7);
    expect(lines.at(-1)).toMatchObject({ event: 'end', steps: 4, status: 'ok' });
    // The steady rate leaves the first step out: the first step's time and the other three's
    // (at that rate) fit in the run's wall time.
    const end = lines.at(-1);
    expect(end.firstStepSeconds).toBeGreaterThan(0);
    expect(end.firstStepSeconds + 3 / end.stepsPerSecond).toBeLessThanOrEqual(end.seconds + 0.01);
    // The untrained network's kNN comes first, as step 0, and equals the start event's baseline.
    const { untrained, rawPixels } = lines[0].baselines;
    expect(lines[1]).toEqual({ step: 0, knn: untrained });
    for (const v of [untrained, rawPixels]) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of [untrained, rawPixels]) expect(v).toBeLessThanOrEqual(1);
    expect(lines.at(-1).gain).toBeCloseTo(lines.at(-1).knn - untrained, 12);
    const rows = lines.slice(2, -1);
    expect(rows.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    for (const row of rows) {
      expect(Number.isFinite(row.loss)).toBe(true);
      expect(row.flops.dense).toBeGreaterThan(0);
      expect(row.flops.effective).toBe(row.flops.dense); // dense preset: nothing skipped
    }
    expect(typeof rows.at(-1).knn).toBe('number');
    const saved = parseRunFile(await readFile(join(out, 'run.json'), 'utf8'));
    expect(saved.config.steps).toBe(4);
    expect(saved.history.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
    expect(saved.baselines).toEqual({ untrained, rawPixels });
    expect(saved.masks).toEqual([]);
  });

  it('takes any setting of the table as a flag, by the key links use', async () => {
    const r = await train(['--preset', 'syncp-unstructured', '--tiny', '--steps', '2', '--json', '--backend', 'cpu', '--syncp.gap', '0.2', '--lr', '0.004', '--model.widths', '4,8']);
    expect(r.code, r.stderr).toBe(0);
    const start = JSON.parse(r.stdout.split('\n')[0]);
    expect(start.config.syncp.gap).toBe(0.2);
    expect(start.config.optim.lr).toBe(0.004);
    expect(start.config.model.widths).toEqual([4, 8]);
    expect(start.config.steps).toBe(2);
    expect(r.stderr).not.toMatch(/warning/);
    // A setting the run does not use (the settings panel greys it) is said, not kept silently.
    const unused = await train(['--preset', 'byol-dense', '--tiny', '--steps', '1', '--json', '--backend', 'cpu', '--temperature', '0.05']);
    expect(unused.code, unused.stderr).toBe(0);
    expect(unused.stderr).toMatch(/warning — --temperature is used by SimCLR only: this run does not use it/);
  });

  it('without --backend measures wasm and cpu (and webgpu when it starts) and runs the fastest it printed', async () => {
    const r = await train(['--tiny', '--steps', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stderr.split('\n').find((l) => l.includes('backend measured')) ?? '';
    const ms = Object.fromEntries([...line.matchAll(/(webgpu|wasm|cpu)(?: \(software adapter\))? ([\d.]+) (ms|s)\b/g)].map((m) => [m[1], Number(m[2]) * (m[3] === 's' ? 1000 : 1)]));
    expect(Object.keys(ms)).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    // The printed figures are rounded (whole ms from 10 ms): any backend tied at the smallest may be the one chosen on the exact times.
    const least = Math.min(...Object.values(ms));
    const chosen = /using (webgpu|wasm|cpu)/.exec(line)?.[1];
    expect(Object.keys(ms).filter((b) => ms[b] === least)).toContain(chosen);
    expect(JSON.parse(r.stdout.split('\n')[0]).backend).toBe(chosen);
  });

  it('--backend wasm trains on WebAssembly', async () => {
    const r = await train(['--tiny', '--steps', '2', '--json', '--backend', 'wasm', '--preset', 'cdg']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', backend: 'wasm' });
    expect(lines.filter((l) => l.step >= 1).every((l) => Number.isFinite(l.loss))).toBe(true);
  });

  it('trains SimSiam, the third method, from the CLI', async () => {
    const r = await train(['--tiny', '--steps', '2', '--json', '--backend', 'cpu', '--method', 'simsiam']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].config.ssl.method).toBe('simsiam');
    expect(lines.filter((l) => l.step >= 1).every((l) => Number.isFinite(l.loss))).toBe(true);
  });

  it.each([
    [['--preset', 'nope'], /unknown preset "nope"/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--steps', 'ten'], /--steps must be a number \(got "ten"\)/],
    [['--preset', 'simclr-dense', '--syncp.gap', '0.2'], /--syncp.gap applies only when SyncCP is on/],
    [['--backend', 'tpu'], /--backend must be auto, cpu, wasm or webgpu/],
    [['--config', '/nonexistent.json'], /cannot read config file/],
    // A repeated flag with another value was the last one, silently (a link takes the first and says so).
    [['--lr', '0.1', '--lr', '0.2'], /--lr is given twice \("0\.1", "0\.2"\): give it once/],
    [['--preset', 'cdg', '--preset', 'simclr-dense'], /--preset is given twice/],
    // A refused config names a setting given as a flag by that flag, not by its config path.
    [['--batch', '1'], /invalid config — --batch: Batch size must be ≥ 2 \(got 1\)/],
    [['--tiny', '--batch', '300'], /invalid config — --batch: the batch cannot be larger than the training images/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const r = await train(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 for an impossible config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sparsecl-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ syncp: { n: 6, m: 4 } }));
    const r = await train(['--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/syncp\.n: N:M needs N ≤ M/);
    // Typos are refused by name, with the key they were probably meant to be.
    await writeFile(bad, JSON.stringify({ syncp: { desnity: 0.05 } }));
    const typo1 = await train(['--config', bad, '--preset', 'syncp-unstructured']);
    expect(typo1.code).toBe(2);
    expect(typo1.stderr).toMatch(/syncp: unknown key "desnity" \(did you mean "density"\?\)/);
    await writeFile(bad, JSON.stringify({ cdg: { targetDensty: 0.3 } }));
    const typo2 = await train(['--config', bad, '--preset', 'cdg']);
    expect(typo2.code).toBe(2);
    expect(typo2.stderr).toMatch(/cdg: unknown key "targetDensty" \(did you mean "density"\?\)/);
    await writeFile(bad, '{ not json');
    const r2 = await train(['--config', bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/is not valid JSON/);
    // Valid JSON that is not an object would merge as nothing: the bare preset would run.
    for (const [text, what] of [['[{"steps":10}]', 'an array'], ['42', 'a number'], ['null', 'null'], ['"x"', 'a string']]) {
      await writeFile(bad, text);
      const r3 = await train(['--config', bad, '--tiny']);
      expect(r3.code, text).toBe(2);
      expect(r3.stderr).toContain(`settings must be a JSON object of settings (got ${what})`);
    }
  });

  it('exits 2 before training for an --out it cannot write and for own data, which only the app reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sparsecl-'));
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const t0 = Date.now();
    const r = await train(['--backend', 'cpu', '--out', join(file, 'run')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .*a-file\/run: cannot write there \(ENOTDIR\)/);
    expect(r.stderr).not.toMatch(/at main|at async/); // no stack trace
    // Refused before any step: a 1000-step default run takes minutes here.
    expect(Date.now() - t0).toBeLessThan(30_000);
    // A run.json that cannot be written in a folder that can (a folder by that name): refused
    // before the run too (only the folder was checked, and the finished run was lost at the end).
    const taken = await mkdtemp(join(tmpdir(), 'sparsecl-'));
    await mkdir(join(taken, 'run.json'));
    const dirJson = await train(['--backend', 'cpu', '--out', taken]);
    expect(dirJson.code).toBe(2);
    expect(dirJson.stderr).toMatch(/--out .*run\.json: is a folder, not a file/);
    const own = await train(['--backend', 'cpu', '--dataset', 'own']);
    expect(own.code).toBe(2);
    expect(own.stderr).toMatch(/own data is uploaded in the app/);
  });
});
