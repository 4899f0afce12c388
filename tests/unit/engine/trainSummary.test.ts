// The CLI's last line: a failed run's kNN is named as the last pass before the failure, with its step.
import { describe, expect, it } from 'vitest';
import { steadyStepsPerSecond, summaryLine } from '../../../src/cli/trainSummary';

const baselines = { untrained: 0.15, rawPixels: 0.256 };

describe('summaryLine', () => {
  it('a finished run: its end kNN and the gain over the untrained network', () => {
    const line = summaryLine({ ok: true, steps: 300, seconds: 31.04, baselines, knn: { accuracy: 0.4, standardError: 0.0141, step: 300, n: 1200 } });
    expect(line).toBe('done: 300 steps in 31.0 s, kNN accuracy 40.0% ± 1.4 (SE, n = 1200) (untrained 15.0%, raw pixels 25.6%, gain 25.0 pts)');
  });
  it('a failed run: "failed after", and the kNN named as the last one, at its step', () => {
    const line = summaryLine({ ok: false, steps: 523, seconds: 60, baselines, knn: { accuracy: 0.3, standardError: 0.013, step: 500, n: 1200 } });
    expect(line).toMatch(/^failed after 523 steps \(60\.0 s\), last kNN accuracy at step 500 30\.0%/);
    expect(line).not.toMatch(/^done/);
  });
  it('no kNN pass: the head alone', () => {
    expect(summaryLine({ ok: false, steps: 3, seconds: 1, baselines })).toBe('failed after 3 steps (1.0 s)');
  });
});

describe('steadyStepsPerSecond', () => {
  it('leaves out the first step and the kNN passes after it (hand-computed)', () => {
    // 11 steps in 20 s: the first took 6 s (1 s of it a kNN pass), 3 s of kNN after it. The
    // other 10 steps took 20 − 6 − 3 = 11 s: 10 / 11 steps/s (the whole run's rate: 11 / 16).
    expect(steadyStepsPerSecond(11, 20, 4, { seconds: 6, knnSeconds: 1 })).toBeCloseTo(10 / 11, 12);
  });
  it('one step, or no mark: the whole run, kNN left out', () => {
    expect(steadyStepsPerSecond(1, 5, 1, { seconds: 5, knnSeconds: 1 })).toBeCloseTo(1 / 4, 12);
    expect(steadyStepsPerSecond(8, 5, 1, undefined)).toBeCloseTo(8 / 4, 12);
  });
});
