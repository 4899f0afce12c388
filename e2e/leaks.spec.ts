// No tensor leaks in the worker: the trainer's own tests check numTensors in Node, but
// the worker adds snapshots, probe views, N:M grids and mask-history readbacks. Its
// count after each step (shown as `tensor-count`) must not grow once training runs.
import { expect, stepCount, test, waitReady } from './fixtures';

async function tensorsAt(page: import('@playwright/test').Page, step: number): Promise<number> {
  await expect.poll(() => stepCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(step);
  return Number(await page.getByTestId('tensor-count').textContent());
}

// 14-step runs: SyncCP updates masks about every step and snapshots go out every few
// seconds, so both paths run many times between the two readings (kNN is at step 14).
for (const preset of ['syncp-2of4', 'cdg'] as const) {
  const title = preset === 'cdg' ? 'the first step shows that it is compiling, then goes away; ' : '';
  test(`${preset}: ${title}the worker's tensor count is flat over steps`, async ({ page }) => {
    await page.goto(`/?backend=webgpu&preset=${preset}&tiny=1&steps=14`);
    await waitReady(page);
    if (preset === 'cdg') {
      // On any adapter the first WebGPU step compiles its shaders: the indicator shows while
      // it does. (Here, not in a page of its own: a fresh WebGPU page compiles for ~20 s.)
      await page.getByTestId('step').click();
      await expect(page.getByTestId('warming-up')).toContainText('compiling shaders');
      await expect(page.getByTestId('step')).toContainText('Stepping');
      await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
      await expect(page.getByTestId('warming-up')).toHaveCount(0);
      await expect(page.getByTestId('step')).toContainText('+1 Step');
    }
    await page.getByTestId('start').click();
    const early = await tensorsAt(page, 3);
    const late = await tensorsAt(page, 12);
    await page.getByTestId('pause').click();
    expect(early).toBeGreaterThan(0);
    expect(late).toBe(early);
  });
}
