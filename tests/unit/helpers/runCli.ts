// Runs one of the CLIs (src/cli/*.ts) as a user would, through tsx, with CI=true (no
// progress bar), and returns its exit code and output whatever the code.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');

export interface CliResult { code: number; stdout: string; stderr: string }

export async function runCli(script: string, args: readonly string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(TSX, [script, ...args], { env: { ...process.env, CI: 'true' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
