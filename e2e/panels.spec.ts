// The sparsity panels in real Chromium: for cdg, syncp-unstructured and syncp-2of4 (tiny
// size, a short run so the schedules act within a few steps), the matching panel draws data (canvas pixels, chart points), hovering a heatmap cell shows
// its value, panels that do not apply say so, the timeline scrubs every panel to a
// recorded step, and the page logs no errors. Screenshots of every panel go to
// e2e-artifacts/panels-*.png; frame times while training with all panels open are printed.
// On cpu: the panels draw what the worker sends whatever the backend, and a fresh WebGPU
// page costs ~15 s of baselines and compilation before its first step (app.spec and
// leaks.spec train every preset on WebGPU).
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { expect, ifEnabled, pauseIfRunning, readFps, startFps, stepCount, test, waitReady } from './fixtures';

const ARTIFACTS = 'e2e-artifacts';
/** 24 steps: SyncCP updates every step from step 2 to 17, CDG's gate density falls from step 1. */
const STEPS = 24;

/** Distinct colours and non-background pixels of a canvas (a blank canvas has ≤ 1 colour). */
async function canvasStats(canvas: Locator): Promise<{ colours: number; width: number; height: number }> {
  return canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return { colours: seen.size, width: c.width, height: c.height };
  });
}

/** Colours on a canvas, for expect.poll: the panels redraw in staggered slots after a snapshot arrives, so a canvas may still show the previous one when the run's phase has changed. */
async function colours(canvas: Locator): Promise<number> {
  return (await canvasStats(canvas)).colours;
}

/** Number of drawn points of the recharts lines in a chart (path commands), or bars. */
async function chartMarks(chart: Locator): Promise<number> {
  return chart.evaluate((el) => {
    let n = 0;
    el.querySelectorAll('path.recharts-line-curve').forEach((p) => {
      n += (p.getAttribute('d')?.match(/[ML]/g) ?? []).length;
    });
    n += el.querySelectorAll('.recharts-bar-rectangle path, path.recharts-rectangle').length;
    return n;
  });
}

async function hoverShowsValue(page: Page, canvas: Locator, pattern: RegExp): Promise<string> {
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.37, box.y + box.height * 0.41);
  const tip = page.getByTestId('heatmap-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText(pattern);
  const text = (await tip.textContent()) ?? '';
  await page.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);
  return text;
}

async function heatmapDraws(page: Page): Promise<{ count: number; worstMs: number; totalMs: number }> {
  return page.evaluate(() => (window as unknown as { __heatmapDraws?: { count: number; worstMs: number; totalMs: number } }).__heatmapDraws ?? { count: 0, worstMs: 0, totalMs: 0 });
}

/** Record long tasks (> 50 ms on the main thread) from now on, with their durations. */
async function startLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __long: number[] };
    w.__long = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: false });
  });
}

/** Start, train until a snapshot of step ≥ `minStep` arrived, pause; frame times over the training. */
async function train(page: Page, minStep: number, timeout = 150_000): Promise<string> {
  await startFps(page);
  await startLongTasks(page);
  await page.getByTestId('start').click();
  await expect.poll(async () => Number(await page.getByTestId('timeline-step').getAttribute('data-step')), { timeout, intervals: [500] }).toBeGreaterThanOrEqual(minStep);
  const fps = await readFps(page);
  // A tiny cpu run may have reached its last step by now.
  await pauseIfRunning(page);
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', /idle|done/, { timeout: 60_000 });
  const draws = await heatmapDraws(page);
  const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
  return `long tasks (ms): [${long.join(', ')}]; ${fps.fps.toFixed(1)} fps, worst frame ${fps.worstFrameMs.toFixed(0)} ms over ${fps.seconds.toFixed(1)} s (${await stepCount(page)} steps); heatmap draws: ${draws.count}, worst ${draws.worstMs.toFixed(1)} ms, mean ${(draws.totalMs / Math.max(1, draws.count)).toFixed(1)} ms`;
}

async function shoot(page: Page, preset: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const id of ['schedule-preview', 'panel-cdg', 'panel-syncp', 'panel-nm', 'panel-flops']) {
    await page.getByTestId(id).screenshot({ path: `${ARTIFACTS}/panels-${preset}-${id}.png` });
  }
  await page.screenshot({ path: `${ARTIFACTS}/panels-${preset}-page.png`, fullPage: true });
}

async function expectNotApplicable(page: Page, ids: string[]): Promise<void> {
  for (const id of ids) {
    await expect(page.getByTestId(id).getByTestId('not-applicable')).toHaveCount(1);
    await expect(page.getByTestId(id).locator('.recharts-surface')).toHaveCount(0);
  }
}

/**
 * Scrub the timeline to its first entry: every panel shows that step; Live returns.
 * Training is paused, so the frame times measured here are the panels' own redraws.
 */
async function scrub(page: Page): Promise<string> {
  const slider = page.getByTestId('timeline');
  await slider.scrollIntoViewIfNeeded();
  await startFps(page);
  await startLongTasks(page);
  await slider.focus();
  await page.keyboard.press('Home');
  const step = Number(await page.getByTestId('timeline-step').getAttribute('data-step'));
  await expect(page.getByTestId('timeline-step')).toContainText(`viewing step ${step}`);
  await expect(page.getByTestId('dataset-preview')).toHaveAttribute('data-step', String(step));
  await expect(page.getByTestId('panel-flops')).toContainText(`saved at step ${step}`);
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(500);
  // A fast (cpu) run may have recorded two snapshots only: the step right is then the newest,
  // which is Live already, and the button is disabled.
  const live = page.getByTestId('timeline-live');
  // Again until it takes (a click lost to slow pre-click checks is given up after 1.5 s).
  await expect(async () => {
    await ifEnabled(live, (quick) => live.click(quick));
    await expect(page.getByTestId('timeline-step')).toContainText('live', { timeout: 5000 });
  }).toPass({ timeout: 60_000 });
  await page.waitForTimeout(500);
  const fps = await readFps(page);
  const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
  return `3 redraws of every panel (scrub, paused): worst frame ${fps.worstFrameMs.toFixed(0)} ms, long tasks (ms): [${long.join(', ')}]`;
}

test('schedule preview is drawn before the run starts; dense run: method panels say they do not apply', async ({ page }) => {
  // Hold the worker's script back: the schedule must be drawn from the config alone.
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  await page.route(/trainer\.worker[^/]*\.js/, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`/?backend=cpu&preset=syncp-unstructured&tiny=1&steps=${STEPS}`);
  await expect.poll(() => chartMarks(page.getByTestId('schedule-chart'))).toBeGreaterThan(4);
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'building');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', '');
  release();
  await waitReady(page);
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await page.getByTestId('preset').selectOption('simclr-dense');
  await waitReady(page);
  await expectNotApplicable(page, ['schedule-preview', 'panel-cdg', 'panel-syncp', 'panel-nm']);
  await expect(page.getByTestId('panel-flops')).toContainText('Dense run');
});

test('cdg: gate densities per branch, over steps, and gate maps over the probe views', async ({ page }) => {
  await page.goto(`/?backend=cpu&preset=cdg&tiny=1&steps=${STEPS}`);
  await waitReady(page);
  const perf = await train(page, 6);
  console.log(`[measure] panels, tiny cdg, all panels open: ${perf}`);
  const panel = page.getByTestId('panel-cdg');
  await expect.poll(() => chartMarks(panel.getByTestId('cdg-bars'))).toBeGreaterThanOrEqual(2);
  await expect.poll(() => chartMarks(panel.getByTestId('cdg-lines'))).toBeGreaterThan(4);
  for (const v of [1, 2]) await expect.poll(() => colours(panel.getByTestId(`cdg-probe-${v}`))).toBeGreaterThan(8);
  const tip = await hoverShowsValue(page, panel.getByTestId('cdg-probe-1'), /gate (open|closed)/);
  expect(tip).toMatch(/value [01]\.00/);
  // Another layer: its map is drawn too.
  // Found by its name, as a screen reader lists it (three panels each have a "Layer").
  const layerSelect = panel.getByRole('combobox', { name: 'Layer (CDG gate maps)' });
  const layers = await layerSelect.locator('option').allTextContents();
  expect(layers.length).toBeGreaterThan(1);
  await layerSelect.selectOption(layers[layers.length - 1]);
  await expect.poll(() => colours(panel.getByTestId('cdg-probe-2'))).toBeGreaterThan(8);
  await expect.poll(() => chartMarks(page.getByTestId('flops-cumulative'))).toBeGreaterThan(2);
  await expect(page.getByTestId('flops-saving')).not.toHaveText('0.0%');
  // The measured line: this run's steps against a few dense steps timed on this device.
  // Clicked by the name a voice or screen-reader user hears: the text on the button.
  await page.getByRole('button', { name: 'Measure against dense', exact: true }).click();
  const ratio = page.getByTestId('flops-measured-ratio');
  await expect(ratio).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Measure again', exact: true })).toBeVisible();
  const r = Number(await ratio.getAttribute('data-ratio'));
  expect(r).toBeGreaterThan(0);
  expect(Number.isFinite(r)).toBe(true);
  await expect(ratio).toContainText('FLOPs counted');
  // Scrubbed back: every line chart marks the viewed step, the kNN chart too, whose x range
  // otherwise ends at its last point (found by a read-only hunt: recharts hid the marker there).
  await page.getByTestId('timeline').focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('timeline-step')).toContainText('viewing step');
  for (const chart of [page.getByTestId('panel-knn'), page.getByTestId('panel-loss'), panel.getByTestId('cdg-lines'), page.getByTestId('flops-cumulative')]) {
    await expect(chart.locator('.recharts-reference-line line[stroke-dasharray="3 3"]')).toHaveCount(1);
  }
  await page.getByTestId('timeline-live').click();
  await expectNotApplicable(page, ['panel-syncp', 'panel-nm']);
  await shoot(page, 'cdg');
  console.log(`[measure] ${test.info().title.split(':')[0]}: ${await scrub(page)}`);
});

test('syncp-unstructured: densities under the plan, mask heatmap with an update slider, churn, nestedness', async ({ page }) => {
  await page.goto(`/?backend=cpu&preset=syncp-unstructured&tiny=1&steps=${STEPS}`);
  await waitReady(page);
  // After one step each layer's lines have one point, which a line cannot draw: a dot each
  // (online and target), not only the plan.
  await page.getByTestId('step').click();
  await expect.poll(() => stepCount(page), { timeout: 60_000 }).toBe(1);
  const lines = page.getByTestId('panel-syncp').getByTestId('syncp-lines');
  await expect.poll(() => lines.locator('circle.recharts-dot').count()).toBeGreaterThanOrEqual(2 * 5);
  const perf = await train(page, 8);
  console.log(`[measure] panels, tiny syncp-unstructured, all panels open: ${perf}`);
  const panel = page.getByTestId('panel-syncp');
  await expect.poll(() => chartMarks(panel.getByTestId('syncp-lines'))).toBeGreaterThan(10);
  await expect.poll(() => chartMarks(panel.getByTestId('syncp-churn'))).toBeGreaterThan(1);
  await expect.poll(() => chartMarks(panel.getByTestId('syncp-nested'))).toBeGreaterThan(2);
  const heat = panel.getByTestId('syncp-heatmap');
  // Kept-in-both, target-only and pruned cells (+ white separators) after a few updates.
  await expect.poll(() => colours(heat)).toBeGreaterThanOrEqual(3);
  await hoverShowsValue(page, heat, /kept in both|kept in target only|pruned|both \d/);
  // The slider walks back through recorded updates.
  const slider = panel.getByTestId('syncp-update-slider');
  await expect(slider).toBeEnabled();
  const before = await panel.getByTestId('syncp-mask-step').textContent();
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(panel.getByTestId('syncp-mask-step')).not.toHaveText(before!);
  // A screen reader hears the step the slider shows, not its index.
  // Read and compared together, again until they agree: the pause's snapshot may still be on
  // its way to the panel (staggered redraws), adding an update to both.
  await expect
    .poll(async () => {
      const said = /^update at step (\d+), 1 of (\d+)$/.exec((await slider.getAttribute('aria-valuetext')) ?? '');
      const shown = (await panel.getByTestId('syncp-mask-step').textContent()) ?? '';
      return said ? shown.includes(`masks from the update at step ${said[1]} · update 1 of the last ${said[2]}`) : `aria-valuetext: ${await slider.getAttribute('aria-valuetext')}`;
    })
    .toBe(true);
  // Nested by construction (shared scores): 100% in the table.
  await expect(panel.getByTestId('syncp-table').locator('tbody tr').first()).toContainText('100.0%');
  // Choosing another layer: the worker answers with that layer's masks.
  const layers = await panel.getByRole('combobox', { name: 'Layer (SyncCP mask)' }).locator('option').allTextContents();
  await panel.getByTestId('syncp-layer').selectOption(layers[1]);
  await expect(panel.getByTestId('syncp-layer')).toHaveValue(layers[1], { timeout: 30_000 });
  await expect(panel.getByTestId('syncp-table').locator('tr.selected')).toContainText(layers[1]);
  // Scrubbing marks the viewed step in "Do the branches agree?" too, as in the other line charts.
  const marker = panel.getByTestId('syncp-nested').locator('.recharts-reference-line');
  await expect(marker).toHaveCount(0);
  await page.getByTestId('timeline').focus();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('timeline-step')).toContainText('viewing step');
  await expect(marker).toHaveCount(1);
  await page.getByTestId('timeline-live').click();
  await expect(marker).toHaveCount(0);
  await expectNotApplicable(page, ['panel-cdg', 'panel-nm']);
  await shoot(page, 'syncp-unstructured');
  console.log(`[measure] ${test.info().title.split(':')[0]}: ${await scrub(page)}`);
});

test('syncp-2of4: pattern grid, pattern histogram, N:M fraction over steps', async ({ page }) => {
  await page.goto(`/?backend=cpu&preset=syncp-2of4&tiny=1&steps=${STEPS}`);
  await waitReady(page);
  const perf = await train(page, 10);
  console.log(`[measure] panels, tiny syncp-2of4, all panels open: ${perf}`);
  const panel = page.getByTestId('panel-nm');
  const grid = panel.getByTestId('nm-heatmap');
  await expect.poll(() => colours(grid)).toBeGreaterThanOrEqual(4);
  await hoverShowsValue(page, grid, /pattern [●○]{4}|dense: all 4 kept/);
  await expect.poll(() => chartMarks(panel.getByTestId('nm-histogram'))).toBeGreaterThanOrEqual(6);
  await expect.poll(() => chartMarks(panel.getByTestId('nm-lines'))).toBeGreaterThan(6);
  await panel.getByTestId('nm-branch').getByRole('radio', { name: 'target' }).click();
  await expect.poll(() => colours(grid)).toBeGreaterThanOrEqual(4);
  // The SyncCP panel runs for N:M too.
  await expect.poll(() => colours(page.getByTestId('syncp-heatmap'))).toBeGreaterThanOrEqual(2);
  // Its layer picker and this panel's are told apart by name.
  await expect(panel.getByRole('combobox', { name: 'Layer (N:M patterns)' })).toHaveCount(1);
  await expect(page.getByRole('combobox', { name: 'Layer (SyncCP mask)' })).toHaveCount(1);
  await expectNotApplicable(page, ['panel-cdg']);
  await shoot(page, 'syncp-2of4');
  console.log(`[measure] ${test.info().title.split(':')[0]}: ${await scrub(page)}`);
});

// Figures for the report, not a gate (BENCH=1): frame times with all panels open at the
// default size, where the heatmaps and charts are largest, while training and while
// scrubbing (panel redraws alone).
for (const preset of ['syncp-2of4', 'cdg'] as const) {
  test(`default size, ${preset}, all panels open: frame times`, async ({ page }) => {
    test.skip(!process.env.BENCH, 'set BENCH=1 to measure');
    test.setTimeout(900_000);
    // Few steps so the schedule acts within the ones SwiftShader can train here.
    await page.goto(`/?backend=webgpu&preset=${preset}&steps=8`);
    await waitReady(page);
    const perf = await train(page, 3, 500_000);
    console.log(`[bench] panels, default ${preset}, training: ${perf}`);
    console.log(`[bench] panels, default ${preset}: ${await scrub(page)}`);
    await shoot(page, `default-${preset}`);
  });
}
