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
