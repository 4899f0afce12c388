// No tensor leaks in the worker: the trainer's own tests check numTensors in Node, but
// the worker adds snapshots, probe views, N:M grids and mask-history readbacks. Its
// count after each step (shown as `tensor-count`) must not grow once training runs.
import type { Page } from '@playwright/test';
import { expect, stepCount, test, waitReady } from './fixtures';

async function tensorsAt(page: Page, step: number): Promise<number> {
  await expect.poll(() => stepCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(step);
  return Number(await page.getByTestId('tensor-count').textContent());
}

/** Start the run on screen; the count at step 3 and at step 12 are the same. */
async function expectFlat(page: Page, preset: string): Promise<void> {
  await page.getByTestId('start').click();
  const early = await tensorsAt(page, 3);
  const late = await tensorsAt(page, 12);
  await page.getByTestId('pause').click();
  expect(early, preset).toBeGreaterThan(0);
  expect(late, preset).toBe(early);
}

// 14-step runs: SyncCP updates masks about every step and snapshots go out every few
// seconds, so both paths run many times between the two readings (kNN is at step 14).
// Both presets in one page: a fresh WebGPU page compiles for ~20 s before its first step,
// and a preset built in the same page reuses the shaders they share.
test('cdg, then syncp-2of4 in the same page: the first step shows that it is compiling, then goes away; the worker\'s tensor count is flat over steps', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=webgpu&preset=cdg&tiny=1&steps=14');
  await waitReady(page);
  // On any adapter the first WebGPU step compiles its shaders: the indicator shows while it does.
  await page.getByTestId('step').click();
  await expect(page.getByTestId('warming-up')).toContainText('compiling shaders');
  await expect(page.getByTestId('step')).toContainText('Stepping');
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
  await expect(page.getByTestId('warming-up')).toHaveCount(0);
  await expect(page.getByTestId('step')).toContainText('+1 Step');
  await expectFlat(page, 'cdg');

  // A preset change drops the link's settings: the 14 steps are set again, as a person would.
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', /idle|done/, { timeout: 60_000 });
  await page.getByTestId('preset').selectOption('syncp-2of4');
  await page.getByTestId('field-steps').fill('14');
  await expect(page).toHaveURL(/preset=syncp-2of4.*steps=14|steps=14.*preset=syncp-2of4/);
  await waitReady(page);
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await expectFlat(page, 'syncp-2of4');
});
