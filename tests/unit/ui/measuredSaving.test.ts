// @vitest-environment happy-dom
// The FLOPs panel's Measure against dense button (from a dense-timing hunt): it was enabled
// while a new run was built or loaded (the worker then timed the new run at step 0 and
// refused), a refusal for want of timed steps stayed beside an enabled button once steps
// were timed, and a run with too few steps left said "not yet" for good.
import { createElement } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { useRun } from '../../../src/store/run';
import { MeasuredSaving } from '../../../src/ui/panels/MeasuredSaving';
import { domRoot } from './domRoot';

const dom = domRoot();
const config = buildConfig({ tiny: true, overrides: { steps: 50 } });
const button = () => dom.host.querySelector('[data-testid="measure-dense"]') as HTMLButtonElement;
const text = () => dom.host.querySelector('[data-testid="flops-measured"]')!.textContent ?? '';

describe('Measure against dense', () => {
  beforeEach(() => useRun.setState({ worker: 'ready', hasRun: true, building: false, restoring: undefined, measuringDense: false, denseTiming: undefined, denseTimingNote: undefined, timedSteps: 3, step: 4, config }));

  it('enabled on a built run with timed steps; disabled while building, restoring, with no run or the worker stopped', async () => {
    await dom.render(createElement(MeasuredSaving));
    expect(button().disabled).toBe(false);
    for (const s of [{ building: true }, { restoring: { kind: 'import' as const, name: 'run.zip' } }, { hasRun: false }, { worker: 'crashed' as const }, { timedSteps: 0 }]) {
      useRun.setState(s);
      await dom.render(createElement(MeasuredSaving));
      expect(button().disabled, JSON.stringify(s)).toBe(true);
      useRun.setState({ worker: 'ready', hasRun: true, building: false, restoring: undefined, timedSteps: 3 });
    }
  });

  it('a refusal for want of timed steps goes once steps are timed; another refusal stays', async () => {
    useRun.setState({ timedSteps: 0, denseTimingNote: 'train two steps first: the first one warms up' });
    await dom.render(createElement(MeasuredSaving));
    expect(text()).toContain('train two steps first');
    useRun.setState({ timedSteps: 2 });
    await dom.render(createElement(MeasuredSaving));
    expect(text()).not.toContain('train two steps first');
    useRun.setState({ denseTimingNote: 'out of memory' });
    await dom.render(createElement(MeasuredSaving));
    expect(text()).toContain('out of memory');
  });

  it('a run with one step or none left and nothing timed says it has too few steps left to time', async () => {
    useRun.setState({ timedSteps: 0, step: 49 });
    await dom.render(createElement(MeasuredSaving));
    expect(text()).toContain('this run has too few steps left to time');
    useRun.setState({ step: 10 });
    await dom.render(createElement(MeasuredSaving));
    expect(text()).toContain('not yet: time this run');
  });
});
