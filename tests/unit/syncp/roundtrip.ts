// Writes masks the way the CLI's --out does and reads them back with the importer.
import type { Config } from '../../../src/engine/config';
import type { ExportedMask } from '../../../src/engine/plugin';
import { encodeMasks, parseRunFile, RUN_FILE_VERSION } from '../../../src/engine/runFile';

export function decodeRunFileMasksForTest(config: Config, masks: ExportedMask[]): ExportedMask[] {
  const text = JSON.stringify({ version: RUN_FILE_VERSION, createdAt: '', config, history: [], masks: encodeMasks(masks) });
  return parseRunFile(text).masks;
}
