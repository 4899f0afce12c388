// The results tables of `npm run experiment` from hand-made runs: mean ± sample sd over
// seeds, gain against the untrained network, the standard-error sentence, FLOPs per mode.
import { describe, expect, it } from 'vitest';
import { renderResults, sd, type ExperimentRun } from '../../../src/cli/experimentTables';

function run(p: Partial<ExperimentRun>): ExperimentRun {
  return {
    preset: 'simclr-dense', dataset: 'shapes', seed: 1, steps: 100, batch: 32, imageSize: 16, widths: [8, 16], trainCount: 1000, testCount: 1200,
    untrained: 0.1, rawPixels: 0.2, knn: 0.3, probe: 0.35, flopsEnd: { ste: 1 }, flopsMean: { ste: 1 }, seconds: 100, knnSeconds: 5, knnPasses: 3,
    stepsPerSecond: 1, load: [2, 3], cores: 2, date: '', ...p,
  };
}

describe('experiment tables', () => {
  it('sample sd by hand', () => {
    expect(sd([0.2, 0.3, 0.4])).toBeCloseTo(0.1, 12); // squares .01+0+.01 over n−1 = 2
    expect(sd([0.5])).toBe(0);
  });

  it('kNN mean ± sd, gain and SE sentence; CDG FLOPs per gate-gradient mode', () => {
    const md = renderResults(
      [
        run({ seed: 1, knn: 0.3, untrained: 0.1 }),
        run({ seed: 2, knn: 0.4, untrained: 0.12 }),
        run({ seed: 3, knn: 0.5, untrained: 0.14 }),
        run({ preset: 'cdg', gateGradient: 'ste', gateDensity: { online: 0.39, target: 0.41 }, flopsEnd: { ste: 0.7, detached: 0.6 }, flopsMean: { ste: 0.8, detached: 0.75 } }),
      ],
      { command: 'npm run experiment' },
    );
    // kNN 30/40/50 → 40.0 ± 10.0; gains 20/28/36 → 28.0 ± 8.0
    expect(md).toContain('**40.0 ± 10.0**');
    expect(md).toContain('| 28.0 ± 8.0 |');
    // n = 1200: √(0.25/1200) = 1.443 points
    expect(md).toContain('at most 1.4 points');
    expect(md).toContain('| cdg | — | 0.390 / 0.410 | 0.700 (ste) / 0.600 (detached) | 0.800 (ste) / 0.750 (detached) |');
    expect(md).toContain('| simclr-dense | — | — | 1.000 | 1.000 |');
  });
});
