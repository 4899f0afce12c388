// Flag parsing shared by the CLIs: strict (an unknown flag is an error), no positionals,
// and every problem a UsageError, which each CLI turns into exit 2 with its usage text.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * `--out DIR`, checked before the work it would hold: make it (and its parents) and check
 * a file can be written there, or a UsageError saying why not (a folder found unwritable
 * only after a run would lose the run).
 */
export async function writableFolder(dir: string, flag = '--out'): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
