// Figures for the report, not a gate: steps/s and page frame rate of the tiny and the
// default size on this machine's WebGPU. Runs only with BENCH=1 (the default size takes
// seconds per step on SwiftShader).
import { expect, readFps, startFps, stepCount, test, waitReady } from './fixtures';

test.skip(!process.env.BENCH, 'set BENCH=1 to measure');
test.setTimeout(600_000);

for (const [label, query, steps] of [
  ['tiny', '?backend=webgpu&preset=simclr-dense&tiny=1', 30],
  ['default', '?backend=webgpu&preset=simclr-dense', 6],
  ['tiny byol', '?backend=webgpu&preset=byol-dense&tiny=1', 20],
] as const) {
  test(`steps/s: ${label}`, async ({ page }) => {
    await page.goto(`/${query}`);
    await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
    await waitReady(page);
    await page.getByTestId('start').click();
    // Skip the first two steps: shader compilation.
    await expect.poll(() => stepCount(page), { timeout: 300_000 }).toBeGreaterThanOrEqual(2);
    const s0 = await stepCount(page);
    const t0 = Date.now();
    await startFps(page);
    await expect.poll(() => stepCount(page), { timeout: 540_000, intervals: [250] }).toBeGreaterThanOrEqual(s0 + steps);
    const s1 = await stepCount(page);
    const seconds = (Date.now() - t0) / 1000;
    const fps = await readFps(page);
    await page.getByTestId('pause').click();
    console.log(
      `[bench] ${label}: ${((s1 - s0) / seconds).toFixed(3)} steps/s (${s1 - s0} steps in ${seconds.toFixed(1)} s, page shows ${await page.getByTestId('steps-per-second').textContent()}); ` +
        `${fps.fps.toFixed(1)} fps, worst frame ${fps.worstFrameMs.toFixed(0)} ms`,
    );
  });
}
