// Shared fixture: every test fails if the page (or its worker) logs an error or throws.
import { test as base, expect, type Locator, type Page } from '@playwright/test';

export const test = base.extend<{ errors: string[] }>({
  errors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('crash', () => errors.push('page crashed'));
      await use(errors);
      expect(errors, 'the page logged errors').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

export async function stepCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('step-count').textContent());
}

/**
 * Wait until the worker has built the run and it is idle. Only for tests that measure a
 * built run: Start is usable while a run builds (the stress test clicks without waiting).
 */
export async function waitReady(page: Page): Promise<void> {
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 120_000 });
  await expect(page.getByTestId('start')).toBeEnabled({ timeout: 120_000 });
}

/** Count animation frames from now on; read with readFps. */
export async function startFps(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __fps: { frames: number; t0: number; worst: number; last: number } };
    w.__fps = { frames: 0, t0: performance.now(), worst: 0, last: performance.now() };
    const tick = (t: number) => {
      w.__fps.frames++;
      w.__fps.worst = Math.max(w.__fps.worst, t - w.__fps.last);
      w.__fps.last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

export async function readFps(page: Page): Promise<{ fps: number; worstFrameMs: number; seconds: number }> {
  return page.evaluate(() => {
    const f = (window as unknown as { __fps: { frames: number; t0: number; worst: number } }).__fps;
    const seconds = (performance.now() - f.t0) / 1000;
    return { fps: f.frames / seconds, worstFrameMs: f.worst, seconds };
  });
}

/**
 * Use a control as a person would: only if it is enabled, and a control that turns disabled
 * in that instant (the run ended, a rebuild began) makes the action a no-op, not a failure.
 */
export async function ifEnabled(control: Locator, act: (quick: { timeout: number }) => Promise<unknown>): Promise<void> {
  if (!(await control.isEnabled())) return;
  await act({ timeout: 1500 }).catch((e: unknown) => {
    if (!/Timeout|not enabled|disabled/i.test(String(e))) throw e;
  });
}

/**
 * Press Pause if a run is running (on cpu a tiny run may already have ended), again until it
 * takes: Pause turns disabled once pressed (or once the run ended). A press lost to slow
 * pre-click checks on a loaded machine (ifEnabled gives up after 1.5 s) left a 300-step run going.
 */
export async function pauseIfRunning(page: Page): Promise<void> {
  const pause = page.getByTestId('pause');
  await expect(async () => {
    await ifEnabled(pause, (quick) => pause.click(quick));
    await expect(pause).toBeDisabled({ timeout: 5000 });
  }).toPass({ timeout: 60_000 });
}

/**
 * Run `body` with this page's origin limited to `quotaSize` bytes of storage (CDP), and lift
 * the limit after: the override may outlive the test's context, and later tests need the real quota.
 */
export async function withStorageQuota(page: Page, quotaSize: number, body: () => Promise<void>): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
  try {
    await body();
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin }).catch(() => undefined); // a closed page: nothing to lift, and the real failure shows
  }
}
