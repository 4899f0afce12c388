// The realised saving of a sparse run on this device: its step time against the step time
// of the dense network it prunes or gates (same model, data, batch and SSL method, no
// sparsifier), so the FLOPs panel can put "time actually saved" beside "FLOPs counted".
import { median } from './median';
import type { Config } from './config';
import type { Dataset } from './data/types';
import { Trainer } from './trainer';

/** The run's config without its sparsifiers: what its FLOPs saving is counted against. */
export function denseConfigOf(config: Config): Config {
  const { syncp: _s, cdg: _c, ...dense } = config;
  return dense as Config;
}

export interface DenseTiming {
  /** Median ms of a dense step (warm-up excluded). */
  denseMs: number;
  /** The steps timed. */
  steps: number;
}

/**
 * Median step time of a throw-away dense trainer of the run's config, started at `atStep`
 * (so its schedules are where the run is); one warm-up step, then `steps` timed ones.
 * The trainer is disposed: no tensors stay behind.
 */
export async function timeDenseStep(config: Config, dataset: Dataset, atStep: number, steps = 3): Promise<DenseTiming> {
  const trainer = new Trainer(denseConfigOf(config), dataset);
  try {
    trainer.startAt(Math.min(atStep, Math.max(0, config.steps - steps - 1)));
    await trainer.trainStep();
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) ms.push((await trainer.trainStep()).ms);
    return { denseMs: median(ms), steps };
  } finally {
    trainer.dispose();
  }
}


/** A timed step of the run: its ms, and the extra gradient passes it ran (SyncCP regrowth), if any. */
export interface TimedStep {
  ms: number;
  passes?: string[][];
}

/**
 * The run's step time and the FLOPs counted for the same steps (effective over dense), each
 * the median over the timed steps. A short schedule puts a regrowth pass into most sampled
 * steps: the time then includes the pass, so the count must too (it left the pass out, and
 * the measured line read a saving short of the counted one that was not there).
 * `countedOf` gives a step's counted ratio from its passes; it is asked once per distinct set.
 */
export function timedAndCounted(timed: readonly TimedStep[], countedOf: (passes: string[][]) => number): { runMs: number; counted: number } | undefined {
  if (timed.length === 0) return undefined;
  const byPasses = new Map<string, number>();
  const counted = timed.map(({ passes = [] }) => {
    const key = JSON.stringify(passes);
    if (!byPasses.has(key)) byPasses.set(key, countedOf(passes));
    return byPasses.get(key)!;
  });
  return { runMs: median(timed.map((t) => t.ms)), counted: median(counted) };
}
