// The bench CLI's contract: JSON rows with the fields DESIGN.md names, --markdown writes
// its own section with the command, --backend wasm runs wasm, --browser runs the page's
// backends in Chromium, bad flags exit 2.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, UsageError } from '../../../src/cli/benchArgs';
import { runCli, type CliResult } from '../helpers/runCli';

const HAS_CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].some((p) => !!p && existsSync(p));

function bench(args: string[]): Promise<CliResult> {
  return runCli('src/cli/bench.ts', args);
}

describe('npm run bench', () => {
  it('--json: one row per preset and state; --markdown writes the section with the command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sparsecl-bench-'));
    const md = join(dir, 'bench.md');
    // With the conv helper thread (--conv-threads): the same rows.
    const r = await bench(['--tiny', '--presets', 'byol-dense', '--state', 'end', '--rounds', '1', '--warmup', '0', '--json', '--markdown', md, '--conv-threads']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ preset: 'byol-dense', backend: 'cpu', size: 'tiny', state: 'end', ratioToDense: 1, flopsRatio: 1 });
    for (const k of ['msPerStep', 'p25Ms', 'p75Ms', 'imagesPerSec', 'gflopsPerSec']) expect(rows[0][k]).toBeGreaterThan(0);
    expect(rows[0].memory.tensorsStart).toBeGreaterThan(0);
    const doc = await readFile(md, 'utf8');
    // A partial bench (one preset, one state, the helper thread) gets a section of its own:
    // it must never replace the full table under <!-- bench:node-cpu-tiny -->.
    expect(doc).toContain('<!-- bench:node-cpu-tiny@presets-byol-dense@state-end@conv-threads -->');
    expect(doc).not.toContain('<!-- bench:node-cpu-tiny -->');
    expect(doc).toContain('Node · cpu · tiny · presets byol-dense · state end · conv-threads');
    expect(doc).toContain('npm run bench -- --tiny --presets byol-dense');
    expect(doc).toMatch(/\| byol-dense \| cpu \| tiny \| end \|/);
    expect(doc).toMatch(/Node v\d+/);
  });

  it('--backend wasm trains on tfjs-backend-wasm', async () => {
    const r = await bench(['--backend', 'wasm', '--tiny', '--presets', 'simclr-dense', '--state', 'end', '--rounds', '1', '--warmup', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ preset: 'simclr-dense', backend: 'wasm' });
  });

  // Chromium is what `npm test` installs first (scripts/ensure-chromium.mjs); a bare `vitest` without it skips this one.
  it.skipIf(!HAS_CHROMIUM)('--browser: the page bench in Chromium gives the same rows for the page backend asked for', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sparsecl-bench-'));
    const md = join(dir, 'bench.md');
    const r = await bench(['--browser', '--backends', 'cpu', '--tiny', '--presets', 'syncp-2of4', '--rounds', '2', '--warmup', '1', '--json', '--markdown', md]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // The sparse preset and its dense counterpart (same SSL method), at the end state and in the ramp.
    expect(rows.map((x) => `${x.preset}@${x.state}`).sort()).toEqual(['byol-dense@end', 'byol-dense@ramp', 'syncp-2of4@end', 'syncp-2of4@ramp']);
    for (const row of rows) {
      expect(row, row.preset).toMatchObject({ backend: 'cpu', size: 'tiny', dense: 'byol-dense' });
      expect(row.memory.tensorGrowth, `${row.preset}@${row.state}: no tensor left behind`).toBe(0);
      // The median of the rounds' ratios, inside their quartiles.
      expect(row.ratioToDense).toBeGreaterThanOrEqual(row.ratioP25);
      expect(row.ratioToDense).toBeLessThanOrEqual(row.ratioP75);
      if (row.preset === 'byol-dense') expect([row.ratioToDense, row.flopsRatio]).toEqual([1, 1]);
    }
    const end = rows.find((x) => x.preset === 'syncp-2of4' && x.state === 'end');
    // At the end state the online branch is 2:4 in every prunable conv: exactly half its weights.
    for (const [layer, d] of Object.entries(end.density as Record<string, { online: number; target: number }>)) {
      expect(d.online, layer).toBe(0.5);
      expect(d.target, `${layer}: the target is kept denser`).toBeGreaterThan(0.5);
    }
    expect(end.flopsRatio).toBeLessThan(1);
    // The preset's ramp ends at 0.7 of the run: the end state is timed past it.
    expect(end.firstStep).toBeGreaterThan(0.7 * 300);
    const doc = await readFile(md, 'utf8');
    expect(doc).toContain('<!-- bench:browser-cpu-tiny@presets-syncp-2of4 -->');
    expect(doc).toMatch(/Chromium \d+/);
  }, 240_000);

  it('--long runs the variant its flags name', async () => {
    const r = await bench(['--long', '--presets', 'cdg', '--steps', '200', '--gate-gradient', 'detached', '--sparse-kernels', 'off', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ preset: 'cdg', steps: 200, flat: true, leftAfterDispose: 0, sparseKernels: 'off', gateGradient: 'detached' });
  });

  it('bad flags are refused with the reason, before anything runs; the CLI exits 2 with the usage', async () => {
    // Checked in-process (the parser the CLI calls first); one of them through the CLI below.
    const cases: [string[], RegExp][] = [
      [['--presets', 'nope'], /unknown preset "nope"/],
      [['--presets', ','], /--presets needs preset names/],
      [['--presets', ''], /--presets needs preset names/],
      [['--presets', 'cdg,cdg'], /names a preset twice/],
      [['--state', 'middle'], /--state must be end, ramp or both/],
      [['--backend', 'webgl'], /--backend must be cpu, webgpu or wasm/],
      [['--rounds', '0'], /--rounds must be an integer ≥ 1/],
      [['--browser', '--long'], /--long runs in Node only/],
      [['--backend', 'wasm', '--conv-threads'], /--conv-threads is for --backend cpu/],
      [['--long', '--profile'], /--long and --profile are separate benches/],
      [['--long', '--kernels'], /--long and --kernels are separate benches/],
      [['--browser', '--kernels'], /--kernels and --browser are separate benches/],
      [['--profile', '--markdown', '/tmp/x.md'], /--profile prints its table only/],
      [['--bogus'], /Unknown option '--bogus'/],
      // As in the other CLIs (found by a CLI hunt: bench kept the last of a repeated flag).
      [['--rounds', '5', '--rounds', '100'], /--rounds is given twice \("5", "100"\): give it once/],
      [['--backend', 'webgpu', '--backend', 'cpu'], /--backend is given twice/],
      // Found by a CLI hunt: an empty backend list timed nothing and wrote an empty section.
      [['--browser', '--backends', ','], /--backends needs backend names/],
      [['--browser', '--backends', ''], /--backends needs backend names/],
      [['--browser', '--backends', 'cpu,cpu'], /names a backend twice/],
      [['--backends', ''], /--backends needs backend names|--backends goes with --browser/],
      // Flags a mode does not read are refused, not run as another bench than the table says.
      [['--kernels', '--presets', 'cdg'], /--kernels does not read --presets/],
      [['--kernels', '--state', 'ramp', '--warmup', '5'], /--kernels does not read --state, --warmup/],
      [['--long', '--state', 'ramp'], /--long does not read --state/],
      [['--long', '--rounds', '5'], /--long does not read --rounds/],
      [['--profile', '--warmup', '1'], /--profile does not read --warmup/],
      [['--profile', '--state', 'both'], /--profile measures one state/],
      // Memory read every 100 steps: 99 steps would compare no two readings and still say "flat".
      [['--long', '--presets', 'simclr-dense', '--steps', '99', '--json'], /--steps must be at least 200 to compare two readings \(got 99\)/],
    ];
    for (const [args, why] of cases) expect(() => parseBenchArgs(args), args.join(' ')).toThrow(why);
    for (const [args] of cases) expect(() => parseBenchArgs(args)).toThrow(UsageError);
    // Valid flags are not refused (the check above could not fail for a parser that refuses all).
    expect(parseBenchArgs(['--long', '--presets', 'cdg', '--steps', '200']).steps).toBe(200);
    expect(parseBenchArgs(['--kernels', '--rounds', '3']).rounds).toBe(3);
    expect(parseBenchArgs(['--profile', '--state', 'ramp']).states).toEqual(['ramp']);
    // A shorter long run writes a section of its own, not the 1000-step table's.
    expect(parseBenchArgs(['--long', '--steps', '200']).selection).toEqual(['steps 200']);
    expect(parseBenchArgs(['--long', '--steps', '1000']).selection).toEqual([]);
    const short = await bench(['--long', '--presets', 'simclr-dense', '--steps', '99', '--json']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--steps must be at least 200/);
    expect(short.stderr).toContain('usage: npm run bench');
    expect(short.stdout).not.toMatch(/"flat":true/);
    // A --markdown it could not write, found after the bench, lost its figures behind a stack
    // trace: refused before anything runs.
    const dir = await mkdtemp(join(tmpdir(), 'bench-md-'));
    const folder = await bench(['--presets', 'simclr-dense', '--tiny', '--markdown', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`--markdown ${dir}: is a folder, not a file`);
    expect(folder.stderr).not.toMatch(/\n\s+at /);
  });
});
