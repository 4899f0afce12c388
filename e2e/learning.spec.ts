// Issue 12's "the app's default view makes this visible": the page as a person opens it
// (default preset and size, cpu named so the run does not depend on the calibration),
// Start pressed without waiting for the build; the kNN curve must leave the untrained
// network's band — a gain of at least three standard errors of a difference of two
// measurements, from the held-out count the page states — within the first few hundred steps.
// The knn panel and the page are screenshotted with the reference lines and the gain.
import { expect, test } from './fixtures';

const ARTIFACTS = 'e2e-artifacts';

/** "+12.3 pts vs untrained" → 12.3; "−1.0 pts vs untrained" → −1; null before the first kNN point. */
function gainOf(text: string): number | null {
  const m = /([+−-])(\d+(?:\.\d+)?) pts vs untrained/.exec(text);
  return m ? (m[1] === '+' ? 1 : -1) * Number(m[2]) : null;
}

test('default view: the kNN curve leaves the untrained baseline band while a person watches; screenshot with the baselines', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=cpu');
  // Start is pressed as soon as it can be: no waiting for the run to be "ready".
  await page.getByTestId('start').click({ timeout: 120_000 });
  const noise = page.getByTestId('knn-noise');
  await expect(noise).toBeVisible({ timeout: 120_000 });
  // "n = 1200 held-out images: ±1.4 pts (SE)". The band is computed here from n, not taken
  // from the page's figure: one measurement's standard error at p = ½ is 50/√n points.
  const n = Number(/n = (\d+) held-out/.exec(await noise.innerText())![1]);
  const se = 50 / Math.sqrt(n);
  expect(se).toBeLessThanOrEqual(1.5); // issue 12 item 2: the test split is large enough
  await expect(noise).toContainText(`±${se.toFixed(1)} pts`); // and the page states it right
  const band = 3 * Math.SQRT2 * se;
  const t0 = Date.now();
  const gain = page.getByTestId('knn-gain');
  await expect
    .poll(async () => gainOf(await gain.innerText()) ?? -Infinity, { timeout: 240_000, intervals: [1000], message: `the kNN gain must pass ${band.toFixed(1)} points` })
    .toBeGreaterThanOrEqual(band);
  const step = Number(await page.getByTestId('step-count').textContent());
  console.log(`[learning] default view on cpu: ${(await gain.innerText()).trim()} at step ${step}, ${((Date.now() - t0) / 1000).toFixed(0)} s after the noise label; band ${band.toFixed(1)} pts (3 × √2 × ${se.toFixed(2)}, n = ${n})`);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  // The chart's reference lines are labelled in its legend: untrained, raw pixels, chance.
  const legend = page.getByTestId('knn-baselines');
  await expect(legend).toContainText('untrained');
  await expect(legend).toContainText('raw pixels');
  await expect(legend).toContainText('chance');
  await page.getByTestId('panel-knn').screenshot({ path: `${ARTIFACTS}/learning-default-knn.png` });
  await page.screenshot({ path: `${ARTIFACTS}/learning-default-page.png`, fullPage: true });
});
