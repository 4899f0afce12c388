// A run exported mid-way, beside the same run never interrupted: what the run.zip tests
// compare an import's next losses against.
import { initBackend } from '../../../src/engine/backend';
import type { Config } from '../../../src/engine/config';
import type { Dataset } from '../../../src/engine/data/types';
import { RunSession } from '../../../src/engine/session';

/** The losses of the session's next k steps. */
export async function losses(s: RunSession, k: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push((await s.trainStep()).result.loss);
  return out;
}

/**
 * On cpu: `reference` = the first `total` losses of an uninterrupted run; `zip` = run.zip
 * of the same run after `at` steps (with `replay`, when given).
 */
export async function exportedRun(config: Config, dataset: Dataset, at: number, total: number, replay?: unknown): Promise<{ zip: Uint8Array; reference: number[] }> {
  await initBackend(['cpu']);
  const ref = new RunSession(config, dataset);
  const reference = await losses(ref, total);
  ref.dispose();
  const s = new RunSession(config, dataset);
  await losses(s, at);
  const zip = await s.bundle({ backend: 'cpu', adapter: 'test' }, replay);
  s.dispose();
  return { zip, reference };
}
