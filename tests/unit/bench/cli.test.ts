// The bench CLI's contract: JSON rows with the fields DESIGN.md names, --markdown writes
// its own section with the command, --backend wasm runs wasm, bad flags exit 2.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/runCli';

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
    expect(doc).toContain('<!-- bench:node-cpu-tiny -->');
    expect(doc).toContain('npm run bench -- --tiny --presets byol-dense');
    expect(doc).toMatch(/\| byol-dense \| cpu \| tiny \| end \|/);
    expect(doc).toMatch(/Node v\d+/);
  });

  it('--backend wasm trains on tfjs-backend-wasm', async () => {
    const r = await bench(['--backend', 'wasm', '--tiny', '--presets', 'simclr-dense', '--state', 'end', '--rounds', '1', '--warmup', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ preset: 'simclr-dense', backend: 'wasm' });
  });

  it('bad flags exit 2 with the reason and the usage', async () => {
    for (const args of [['--presets', 'nope'], ['--state', 'middle'], ['--backend', 'webgl'], ['--rounds', '0'], ['--browser', '--long'], ['--backend', 'wasm', '--conv-threads']]) {
      const r = await bench(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage: npm run bench');
    }
  });
});
