// Steps/s as shown: within one stretch of training, wall time over the last steps (the gaps
// between steps count); a pause or the wait between two single steps does not.
import { describe, expect, it } from 'vitest';
import { StepRate } from '../../../src/worker/stepRate';

describe('StepRate', () => {
  it('over one stretch: steps over the wall time from the stretch start (hand-computed)', () => {
    const r = new StepRate(10);
    r.record(0, 100, 100, 1); // 1 step in 100 ms
    expect(r.perSecond()).toBeCloseTo(10);
    r.record(110, 200, 90, 1); // 2 steps in 200 ms, the 10 ms gap included
    expect(r.perSecond()).toBeCloseTo(10);
    r.record(200, 400, 200, 1); // 3 steps in 400 ms
    expect(r.perSecond()).toBeCloseTo(7.5);
  });

  it('a pause between two stretches is not counted: after 30 s paused, the first step of the next stretch reads its own pace', () => {
    const r = new StepRate(10);
    for (let i = 0; i < 5; i++) r.record(i * 200, i * 200 + 200, 200, 1);
    expect(r.perSecond()).toBeCloseTo(5);
    // Paused at 1 s, Start again at 31 s: a new stretch.
    r.record(31_000, 31_200, 200, 2);
    expect(r.perSecond()).toBeCloseTo(5);
    r.record(31_200, 31_400, 200, 2);
    expect(r.perSecond()).toBeCloseTo(5);
  });

  it('single steps (+1 Step) a few seconds apart read each step\'s own time, not the clicking pace', () => {
    const r = new StepRate(10);
    r.record(0, 50, 50, undefined);
    r.record(3000, 3050, 50, undefined);
    r.record(7000, 7040, 40, undefined);
    expect(r.perSecond()).toBeCloseTo(25);
  });

  it('the run\'s first step (compiling) is left out: the window starts at its end', () => {
    const r = new StepRate(10);
    r.record(0, 5000, 5000, 1, true);
    expect(r.perSecond()).toBeCloseTo(0.2); // alone, its own time
    r.record(5000, 5100, 100, 1);
    expect(r.perSecond()).toBeCloseTo(10);
  });

  it('keeps the last `window` steps', () => {
    const r = new StepRate(2);
    r.record(0, 1000, 1000, 1); // a slow step, then fast ones
    r.record(1000, 1100, 100, 1);
    r.record(1100, 1200, 100, 1);
    expect(r.perSecond()).toBeCloseTo(10);
  });
});
