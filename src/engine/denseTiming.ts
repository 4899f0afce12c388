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

/** Median of the run's own recent step times (ms), or undefined before any. */
export function medianMs(times: readonly number[]): number | undefined {
  return times.length === 0 ? undefined : median(times);
}
