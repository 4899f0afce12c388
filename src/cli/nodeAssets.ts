// AssetReader for Node: the shipped files under public/, read from disk.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { AssetReader } from '../engine/data/types';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export const readPublicAsset: AssetReader = async (path) => {
  const full = join(PUBLIC_DIR, path);
  try {
    return new Uint8Array(await readFile(full));
  } catch (e) {
    throw new Error(`cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
};
