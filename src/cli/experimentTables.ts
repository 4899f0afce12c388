// The markdown tables `npm run experiment` writes into docs/results.md: one pure function
// of the saved runs, so a table can be regenerated (and tested) without training.
import { accuracyStandardError } from '../engine/eval/standardError';

export type GradientMode = 'ste' | 'detached';

/** One run's summary, as experiment.ts saves it. */
export interface ExperimentRun {
  preset: string;
  dataset: string;
  seed: number;
  steps: number;
  batch: number;
  imageSize: number;
  widths: number[];
  trainCount: number;
  /** Held-out images each kNN figure is measured on. */
  testCount: number;
  gateGradient?: GradientMode;
  untrained: number;
  rawPixels: number;
  knn: number;
  probe?: number;
  /** Mean over prunable layers of the final weight density per branch. */
  weightDensity?: { online: number; target: number };
  /** Mean over gated layers of the final gate density per branch. */
  gateDensity?: { online: number; target: number };
  /** Training FLOPs of one step, effective / dense (regrowth passes included), at the last step and averaged over every step. */
  flopsEnd: Partial<Record<GradientMode, number>>;
  flopsMean: Partial<Record<GradientMode, number>>;
  seconds: number;
  knnSeconds: number;
  knnPasses: number;
  stepsPerSecond: number;
  /** 1-minute load average at the start and the end of the run. */
  load: [number, number];
  cores: number;
  date: string;
  /** What the run was made with: a saved run is reused only for the same; one made otherwise (or older, without it) is refused unless --fresh. */
  made?: { config: unknown; probeEpochs: number };
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

const pts = (x: number) => (100 * x).toFixed(1);
const pm = (xs: number[]) => (xs.length > 1 ? `${pts(mean(xs))} ± ${pts(sd(xs))}` : `${pts(xs[0])}`);
const f3 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));
const pair = (p: { online: number; target: number } | undefined) => (p ? `${p.online.toFixed(3)} / ${p.target.toFixed(3)}` : '—');

function meanPair(ps: ({ online: number; target: number } | undefined)[]): { online: number; target: number } | undefined {
  const xs = ps.filter((p): p is { online: number; target: number } => !!p);
  return xs.length ? { online: mean(xs.map((p) => p.online)), target: mean(xs.map((p) => p.target)) } : undefined;
}

function flopsCell(runs: ExperimentRun[], key: 'flopsEnd' | 'flopsMean'): string {
  const modes = (['ste', 'detached'] as const).filter((m) => runs.every((r) => r[key][m] !== undefined));
  if (modes.length === 1) return f3(mean(runs.map((r) => r[key][modes[0]]!)));
  return modes.map((m) => `${f3(mean(runs.map((r) => r[key][m]!)))} (${m})`).join(' / ');
}

/** The tables (markdown) for every dataset in `runs`, presets in first-seen order. */
export function renderResults(runs: ExperimentRun[], opts: { command: string }): string {
  const out: string[] = [];
  out.push(`Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`${opts.command}\` (tfjs cpu backend in Node).`);
  const datasets = [...new Set(runs.map((r) => r.dataset))];
  for (const ds of datasets) {
    const here = runs.filter((r) => r.dataset === ds);
    const presets = [...new Set(here.map((r) => r.preset))];
    const n = Math.min(...here.map((r) => r.testCount));
    out.push('', `### \`${ds}\``, '');
    out.push(
      `kNN on ${n} held-out images: one run's standard error is at most ${pts(accuracyStandardError(0.5, n))} points (√(p(1−p)/n) at p = ½). ` +
        '“± x” is the sample standard deviation over seeds (n − 1); gain = kNN at the end − kNN of the same network untrained (step 0); raw pixels = the same kNN on the images themselves.',
      '',
    );
    out.push('| preset | seeds | steps × batch, image, widths | untrained | raw pixels | kNN at the end | gain (pts) | linear probe | wall s (steps/s) | kNN time | load (1 min) |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const p of presets) {
      const rs = here.filter((r) => r.preset === p);
      const r0 = rs[0];
      const gains = rs.map((r) => r.knn - r.untrained);
      const probes = rs.map((r) => r.probe).filter((x): x is number => x !== undefined);
      out.push(
        `| ${p} | ${rs.map((r) => r.seed).join(', ')} | ${r0.steps} × ${r0.batch}, ${r0.imageSize}², [${r0.widths.join(', ')}] | ${pm(rs.map((r) => r.untrained))} | ${pm(rs.map((r) => r.rawPixels))} | **${pm(rs.map((r) => r.knn))}** | ${gains.length > 1 ? `${pts(mean(gains))} ± ${pts(sd(gains))}` : pts(gains[0])} | ${probes.length ? pm(probes) : '—'} | ${mean(rs.map((r) => r.seconds)).toFixed(0)} (${mean(rs.map((r) => r.stepsPerSecond)).toFixed(2)}) | ${(100 * mean(rs.map((r) => r.knnSeconds / r.seconds))).toFixed(1)} % in ${r0.knnPasses} passes | ${mean(rs.map((r) => r.load[0])).toFixed(1)}–${mean(rs.map((r) => r.load[1])).toFixed(1)} |`,
      );
    }
    out.push('', 'Sparsity at the end of the run (means over prunable or gated layers, then over seeds); training FLOPs of one step relative to dense (SyncCP regrowth passes included), at the last step and averaged over every step (CDG: per gate-gradient mode, the run trained with `ste`):', '');
    out.push('| preset | weight density online / target | gate density branch 1 / branch 2 | FLOPs at the end | FLOPs run mean |');
    out.push('|---|---|---|---|---|');
    for (const p of presets) {
      const rs = here.filter((r) => r.preset === p);
      out.push(`| ${p} | ${pair(meanPair(rs.map((r) => r.weightDensity)))} | ${pair(meanPair(rs.map((r) => r.gateDensity)))} | ${flopsCell(rs, 'flopsEnd')} | ${flopsCell(rs, 'flopsMean')} |`);
    }
  }
  return out.join('\n');
}
