// Training keeps going in a background tab: the worker's loop never waits on
// requestAnimationFrame (which a background page stops getting) or on page visibility.
// A second page is brought to the front. Headless Chromium keeps every page "visible"
// with frames at ~60/s after bringToFront (measured: both pages 50–60 frames/s, both
// document.visibilityState "visible"), so that alone backgrounds nothing; the window is
// then minimized through CDP, which does stop the first page's animation frames (checked,
// or the test would prove nothing), and its step counter must still rise.
import type { Page } from '@playwright/test';
import { expect, stepCount, test, waitReady } from './fixtures';

/** Animation frames the page gets in 1.5 s. */
const frames = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((done) => {
        let n = 0;
        const tick = () => ((n += 1), requestAnimationFrame(tick));
        requestAnimationFrame(tick);
        setTimeout(() => done(n), 1500);
      }),
  );
/** The step counter as the page's DOM has it (evaluate does not bring the page forward). */
const domSteps = (page: Page) => page.evaluate(() => Number(document.querySelector('[data-testid="step-count"]')?.textContent));

test('a run keeps training while its tab is in the background', async ({ page, context }) => {
  test.setTimeout(180_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=100000');
  await waitReady(page);
  await page.getByTestId('start').click();
  await expect.poll(() => stepCount(page), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  const framesInFront = await frames(page);

  const other = await context.newPage();
  await other.goto('/?backend=cpu&preset=simclr-dense&tiny=1');
  await other.bringToFront();
  const cdp = await context.newCDPSession(page);
  const { windowId } = await cdp.send('Browser.getWindowForTarget');
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'minimized' } });
  // The page gets (next to) no frames now: anything paced by rAF would stop. Minimizing
  // takes effect a moment later (7 frames in the first 1.5 s once, in a full run), so wait
  // for it rather than sample once; ≤ 1/8 of the frames in front (1–5 of ~90 measured).
  const behindAtMost = Math.max(5, framesInFront / 8);
  let framesBehind = Infinity;
  await expect.poll(async () => (framesBehind = await frames(page)), { timeout: 15_000, intervals: [0] }).toBeLessThanOrEqual(behindAtMost);

  const hiddenAt = await domSteps(page);
  await expect.poll(() => domSteps(page), { timeout: 60_000, intervals: [1000] }).toBeGreaterThan(hiddenAt + 1);
  const hiddenEnd = await domSteps(page);
  // Still in the background all along: far fewer frames than in front.
  expect(await frames(page)).toBeLessThanOrEqual(Math.max(5, framesInFront / 4));

  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'normal' } });
  await page.bringToFront();
  expect(await stepCount(page)).toBeGreaterThanOrEqual(hiddenEnd);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
  console.log(`background: ${framesInFront} frames in 1.5 s in front, ${framesBehind} behind; steps ${hiddenAt} → ${hiddenEnd} while behind`);
});
