// `npm run experiment -- --jobs N`: the runs split over worker processes are all run, saved
// and rendered as one call would; a bad --jobs is refused with the reason.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/runCli';

function experiment(args: string[]): Promise<CliResult> {
  return runCli('src/cli/experiment.ts', args);
}

describe('npm run experiment -- --jobs', () => {
  it('runs every run once in worker processes, saves each, and renders them all', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sparsecl-jobs-'));
    const results = join(out, 'results.md');
    const r = await experiment(['--tiny', '--steps', '2', '--jobs', '2', '--probe-epochs', '0', '--presets', 'simclr-dense,byol-dense,cdg', '--datasets', 'shapes', '--seeds', '1', '--out', out, '--results', results]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 runs \(3 to do, 0 saved .*2 processes/);
    // Two workers whose shares are disjoint and cover the three runs.
    const shares = /worker 1: (.*); worker 2: (.*)/.exec(r.stderr);
    expect(shares, r.stderr).not.toBeNull();
    const [one, two] = [shares![1].split(', '), shares![2].trim().split(', ')];
    expect(one.filter((k) => two.includes(k))).toEqual([]);
    expect([...one, ...two].sort()).toEqual(['shapes/byol-dense/1', 'shapes/cdg/1', 'shapes/simclr-dense/1']);
    const saved = (await readdir(out)).filter((f) => f.endsWith('.json')).sort();
    expect(saved).toEqual(['shapes-byol-dense-s1-tiny.json', 'shapes-cdg-s1-tiny.json', 'shapes-simclr-dense-s1-tiny.json']);
    for (const f of saved) expect(JSON.parse(await readFile(join(out, f), 'utf8')).steps).toBe(2);
    const md = await readFile(results, 'utf8');
    // Each at its own batch (the CLIs' --tiny keeps the preset's): SimCLR and CDG 32, BYOL 16.
    for (const [p, batch] of [['simclr-dense', 32], ['byol-dense', 16], ['cdg', 32]] as const) expect(md).toMatch(new RegExp(`\\| ${p} \\| 1 \\| 2 × ${batch},`));
    // A second call finds them saved and runs nothing.
    const again = await experiment(['--tiny', '--steps', '2', '--jobs', '2', '--probe-epochs', '0', '--presets', 'simclr-dense,byol-dense,cdg', '--datasets', 'shapes', '--seeds', '1', '--out', out, '--results', '-']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/3 runs \(0 to do, 3 saved/);
  }, 120_000);

  it('a worker that fails is reported with its runs and its reason, and the call exits 1', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sparsecl-jobs-fail-'));
    // A directory where one run's summary goes: that worker's write fails (EISDIR).
    await mkdir(join(out, 'shapes-cdg-s1-tiny.json'));
    const r = await experiment(['--tiny', '--steps', '1', '--jobs', '2', '--probe-epochs', '0', '--fresh', '--presets', 'simclr-dense,cdg', '--datasets', 'shapes', '--seeds', '1', '--out', out, '--results', '-']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a worker \(shapes\/cdg\/1\) exited with 1: .*EISDIR/);
    // An expected failure: its message, not a stack trace of the CLI.
    expect(r.stderr).not.toMatch(/\n\s+at .*experiment\.ts/);
    // The other worker's run was not cut short: it is saved.
    expect(JSON.parse(await readFile(join(out, 'shapes-simclr-dense-s1-tiny.json'), 'utf8')).steps).toBe(1);
  }, 120_000);

  it('refuses --only from a person (it is how --jobs hands a worker its share, and it skipped the checks of saved runs)', async () => {
    const r = await experiment(['--only', 'shapes/cdg/1', '--steps', '50']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--only is internal to --jobs .*choose runs with --presets, --datasets and --seeds/);
  });

  it('refuses --jobs 0 with the reason and the usage', async () => {
    const r = await experiment(['--jobs', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--jobs must be an integer from 1 to 64/);
    expect(r.stderr).toMatch(/usage: npm run experiment/);
  });

  it('refuses, before any run, a seed given twice, values the settings refuse and a folder it cannot write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sparsecl-refuse-'));
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const cases: [string[], RegExp][] = [
      [['--seeds', '1,01'], /seed 1 is given twice/],
      [['--seeds', '1e0'], /--seeds must be non-negative integers/],
      [['--seeds', '3000000000'], /seed 3000000000: .*Seed/],
      [['--steps', '2000000'], /Steps/],
      [['--out', join(file, 'runs')], /--out .*cannot write there \(ENOTDIR\)/],
      [['--results', join(file, 'results.md'), '--out', dir], /--results .*cannot write there \((EEXIST|ENOTDIR)\)/],
      // Found by a CLI hunt: a folder passed the check and failed after every run (EISDIR);
      // an empty count was read as 0 (the probe skipped without a word), hex as a number.
      [['--results', dir, '--out', dir], /--results .*: is a folder, not a file/],
      [['--probe-epochs='], /--probe-epochs must be an integer ≥ 0 \(got ""\)/],
      [['--steps', '0x10'], /--steps must be an integer ≥ 1 \(got "0x10"\)/],
      [['--jobs', ' 2'], /--jobs must be an integer from 1 to 64/],
    ];
    for (const [args, why] of cases) {
      const r = await experiment(['--tiny', '--presets', 'simclr-dense', '--datasets', 'shapes', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  }, 120_000);
});

describe('npm run experiment: saved runs and where the tables go', () => {
  it('a saved run made with other settings is neither credited to this command nor replaced without --fresh; a part of the experiment prints its tables', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sparsecl-made-'));
    const results = await readFile('docs/results.md', 'utf8');
    const args = (steps: string) => ['--tiny', '--steps', steps, '--probe-epochs', '0', '--presets', 'simclr-dense', '--datasets', 'shapes', '--seeds', '1', '--out', out];
    try {
      const first = await experiment(args('1'));
      expect(first.code, first.stderr).toBe(0);
      // No --results: a part of the experiment (and --tiny) prints its tables.
      expect(first.stdout).toMatch(/\| simclr-dense \| 1 \| 1 × 32,/);
      expect(first.stderr).not.toMatch(/tables written/);
      // Other settings into the same folder: refused, the saved run kept.
      const refused = await experiment(args('3'));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/1 run\(s\) in .* were made with other settings .*--fresh to replace them/);
      expect(JSON.parse(await readFile(join(out, 'shapes-simclr-dense-s1-tiny.json'), 'utf8')).steps).toBe(1);
      const second = await experiment([...args('3'), '--fresh']);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/1 runs \(1 to do, 0 saved/);
      expect(second.stdout).toMatch(/\| simclr-dense \| 1 \| 3 × 32,/);
      expect(JSON.parse(await readFile(join(out, 'shapes-simclr-dense-s1-tiny.json'), 'utf8')).steps).toBe(3);
      // The same settings again: reused.
      const third = await experiment(args('3'));
      expect(third.stderr).toMatch(/1 runs \(0 to do, 1 saved/);
    } finally {
      // The repository's tables are never touched by a part of the experiment.
      expect(await readFile('docs/results.md', 'utf8')).toBe(results);
    }
  }, 120_000);

  it.each([
    [['--seeds', '1,,2'], /--seeds: an empty entry in "1,,2"/],
    [['--seeds', '1,1'], /--seeds: "1" is given twice/],
    [['--presets', 'cdg,cdg'], /--presets: "cdg" is given twice/],
  ])('refuses %j: no run is made up or counted twice', async (args, message) => {
    const r = await experiment(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
