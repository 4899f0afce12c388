// The last line `npm run train` prints for people: what the run reached, or where it failed.
// A failed run (e.g. a divergence) must not read like a finished result: its kNN is the last
// pass before the failure, so that pass's step is named.

export interface TrainSummary {
  ok: boolean;
  steps: number;
  seconds: number;
  /** The last kNN pass: accuracy (0–1), its standard error and its step. */
  knn?: { accuracy: number; standardError: number; step: number; n: number };
  baselines: { untrained: number; rawPixels: number };
}

const pc = (x: number) => (x * 100).toFixed(1);

export function summaryLine(s: TrainSummary): string {
  const head = s.ok ? `done: ${s.steps} steps in ${s.seconds.toFixed(1)} s` : `failed after ${s.steps} steps (${s.seconds.toFixed(1)} s)`;
  if (!s.knn) return head;
  const k = s.knn;
  const at = s.ok && k.step === s.steps ? '' : ` at step ${k.step}`;
  return `${head}, ${s.ok ? '' : 'last '}kNN accuracy${at} ${pc(k.accuracy)}% ± ${pc(k.standardError)} (SE, n = ${k.n}) (untrained ${pc(s.baselines.untrained)}%, raw pixels ${pc(s.baselines.rawPixels)}%, gain ${pc(k.accuracy - s.baselines.untrained)} pts)`;
}

/** Where a run stood when its first step ended: seconds since the start, and kNN seconds by then. */
export interface FirstStepMark {
  seconds: number;
  knnSeconds: number;
}

/**
 * Training steps per second after the first step, kNN passes left out. The first step
 * compiles shaders and warms caches (seconds on a software GPU): counted in, it made a
 * short run look several times slower than its steps are. Without a second step there is
 * no steady rate, and the whole run's is given.
 */
export function steadyStepsPerSecond(steps: number, seconds: number, knnSeconds: number, first: FirstStepMark | undefined): number {
  if (!first || steps < 2) return steps / Math.max(1e-9, seconds - knnSeconds);
  return (steps - 1) / Math.max(1e-9, seconds - first.seconds - (knnSeconds - first.knnSeconds));
}
