// Compare runs: pin a run, train another, and the pinned one is drawn dashed and labelled
// in the loss, kNN, FLOPs and density/gate charts; several can be pinned, each removable.
import { expect, stepCount, test, waitReady } from './fixtures';

test('pin a CDG run, then a dense one: the charts overlay the pinned runs; each is removable', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=webgpu&preset=cdg&tiny=1&steps=30');
  await waitReady(page);
  await expect(page.getByTestId('pin-run')).toBeDisabled(); // nothing trained yet
  await page.getByTestId('start').click();
  await expect.poll(() => stepCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(4);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  const pinnedAt = await stepCount(page);
  await page.getByTestId('pin-run').click();
  await expect(page.getByTestId('reference-run')).toHaveCount(1);
  await expect(page.getByTestId('reference-run')).toContainText(`pinned: cdg (tiny) · step ${pinnedAt}`);

  // A dense run next: the CDG run stays on the charts, dashed and labelled.
  await page.getByTestId('preset').selectOption('simclr-dense');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
  await expect(page.getByTestId('panel-loss')).toContainText('pinned: cdg (tiny)');
  // The pinned run's loss line has as many points as its rows (one path in the chart).
  const lossLines = page.getByTestId('panel-loss').locator('path.recharts-curve[stroke-dasharray="5 3"]');
  await expect(lossLines).toHaveCount(1);
  await expect(page.getByTestId('panel-flops').locator('path.recharts-curve[stroke-dasharray="5 3"]')).toHaveCount(1);

  // Pin the dense run too, then remove the first: one reference left.
  await page.getByTestId('pin-run').click();
  await expect(page.getByTestId('reference-run')).toHaveCount(2);
  await page.getByTestId('reference-run').first().getByRole('button').click();
  await expect(page.getByTestId('reference-run')).toHaveCount(1);
  await expect(page.getByTestId('reference-run')).toContainText('pinned: simclr-dense (tiny) · step 1');
});
