// @vitest-environment happy-dom
// The divergence banner offers "Continue with lr × ½" only when the worker rolled back the
// update that led to the divergence: otherwise the kept state gives the same non-finite loss
// at any rate (a step's loss does not depend on it), and only a reset can help.
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { useRun } from '../../../src/store/run';
import { ErrorBanner } from '../../../src/ui/ErrorBanner';
import { domRoot } from './domRoot';

const dom = domRoot();

async function banner(step: number, kept: number, extra: { rolledBack?: boolean; what?: string } = {}): Promise<HTMLElement> {
  useRun.setState({ error: { kind: 'diverged', step, kept, message: 'NaN', ...extra } });
  await dom.render(createElement(ErrorBanner));
  return dom.host;
}

describe('the divergence banner', () => {
  it('rolled back past the update that led to it: says to which step, and offers Continue and Reset', async () => {
    const h = await banner(7, 5, { rolledBack: true });
    expect(h.textContent).toContain('nor the update of step 6 that led to it: the run is back as it was after step 5');
    expect(h.querySelector('[data-testid="continue-lower-lr"]')).not.toBeNull();
    expect(h.querySelector('[data-testid="reset-lower-lr"]')).not.toBeNull();
  });

  it('nothing to roll back to (the first step of a run just built or loaded): Reset only, and says why', async () => {
    const h = await banner(1, 0, { rolledBack: false });
    expect(h.querySelector('[data-testid="continue-lower-lr"]')).toBeNull();
    expect(h.querySelector('[data-testid="reset-lower-lr"]')).not.toBeNull();
    expect(h.textContent).toContain('gives that loss at any rate');
  });

  // Found by a review: a step whose loss was finite but whose network gave non-finite kNN
  // features is rolled back by one step only (kept = step − 1), which the banner took for
  // "not rolled back": no Continue, and "the loss was not finite".
  const what = 'its loss was finite, but the network it left gives non-finite features (kNN)';
  it('the kNN features of a step rolled back: says so, and offers Continue', async () => {
    const h = await banner(8, 7, { rolledBack: true, what });
    expect(h.textContent).toContain('Diverged at step 8. Its loss was finite, but the network it left gives non-finite features (kNN), so that step was undone: the run is back as it was after step 7');
    expect(h.textContent).not.toContain('The loss was not finite');
    expect(h.querySelector('[data-testid="continue-lower-lr"]')).not.toBeNull();
  });

  it('the same with nothing held to go back to: kept at that step, Reset only', async () => {
    const h = await banner(1, 1, { rolledBack: false, what });
    expect(h.textContent).toContain('no earlier state is at hand');
    expect(h.textContent).toContain('kept as it was after step 1');
    expect(h.querySelector('[data-testid="continue-lower-lr"]')).toBeNull();
  });
});
