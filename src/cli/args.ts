// Flag parsing shared by the CLIs: strict (an unknown flag is an error), no positionals,
// and every problem a UsageError, which each CLI turns into exit 2 with its usage text.
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** An expected failure (no Chromium, a run that failed): its message says it all, so a CLI prints it without a stack. */
export class CliError extends Error {}

/** What a CLI prints for an error that ends it: the message of an expected one, the stack of a bug. */
export function failureText(e: unknown): string {
  return e instanceof CliError ? e.message : String((e as Error)?.stack ?? e);
}

/** A whole number as typed (digits only): Number() also takes "", " ", "0x10" and "1e3". */
export function wholeNumber(flag: string, s: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) throw new UsageError(`${flag} must be an integer${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`} (got "${s}")`);
  return Number(s);
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(argv: string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options, tokens: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // parseArgs keeps the last of a repeated flag without a word: `--lr 0.1 --lr 0.2` would train
  // at 0.2 (a link uses the first and says so). Different values are refused; a repeat of the
  // same value is harmless.
  const given = new Map<string, string | undefined>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    if (given.has(t.name) && given.get(t.name) !== t.value) throw new UsageError(`--${t.name} is given twice ("${given.get(t.name)}", "${t.value}"): give it once`);
    given.set(t.name, t.value);
  }
  return parsed.values;
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

/**
 * `--FLAG FILE` for a file written after the work: its folder made and writable, and the
 * path neither a folder nor a file that cannot be written, checked before the work (found
 * only after it, the work's figures were lost behind a stack trace).
 */
export async function writableFile(file: string, flag: string): Promise<void> {
  await writableFolder(dirname(file), flag);
  const st = await stat(file).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) throw new UsageError(`${flag} ${file}: is a folder, not a file`);
  try {
    await access(file, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
