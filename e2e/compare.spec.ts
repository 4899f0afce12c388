// Compare runs: pin a run, train another, and the pinned one is drawn dashed and labelled
// in the loss, kNN, FLOPs and density/gate charts; several can be pinned, each removable.
// A panel whose method the live run lacks (SyncCP, CDG on a dense run) still draws the
// pinned runs that carry its series: dense vs 2:4 at a glance. Screenshots of the five
// panels go to e2e-artifacts/compare-*.png. On the cpu backend: the overlays do not depend
// on it, and on CI's software WebGPU the three runs' steps and kNN passes took ~1.2 min.
import { mkdirSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { buildConfig } from '../src/engine/config';
import { expect, stepCount, test, waitReady } from './fixtures';

const ARTIFACTS = 'e2e-artifacts';

/**
 * The reference lines (referenceLines in src/ui/panels/references.tsx) of one panel: dotted,
 * a dash no layer line uses (a layer's target is dashed "4 3").
 */
const dashed = (page: Page, panel: string) => page.getByTestId(panel).locator('path.recharts-curve[stroke-dasharray="0.5 4.5"]');

/** Train at least `steps` steps, pause, pin; the pin's label. */
async function trainAndPin(page: Page, preset: string, steps: number): Promise<string> {
  await page.getByTestId('start').click();
  await expect.poll(() => stepCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(steps);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  const label = `pinned: ${preset} (tiny) · step ${await stepCount(page)}`;
  await page.getByTestId('pin-run').click();
  await expect(page.getByTestId('reference-run').filter({ hasText: label })).toHaveCount(1);
  return label;
}

test('pin a CDG and a 2:4 run, then a dense one: every chart overlays the pinned runs that carry its series; each is removable', async ({ page }) => {
  test.setTimeout(420_000);
  await page.goto('/?backend=cpu&preset=cdg&tiny=1&steps=30&eval.knnEvery=2');
  await waitReady(page);
  await expect(page.getByTestId('pin-run')).toBeDisabled(); // nothing trained yet
  const cdg = await trainAndPin(page, 'cdg', 4);

  // The 2:4 run at the preset's own kNN cadence: 2 steps measure no kNN, so it has no kNN line.
  await page.getByTestId('preset').selectOption('syncp-2of4');
  await waitReady(page);
  const nm = await trainAndPin(page, 'syncp-2of4', 2);
  expect(Number(/step (\d+)$/.exec(nm)![1])).toBeLessThan(buildConfig({ preset: 'syncp-2of4', tiny: true }).eval.knnEvery);
  await expect(page.getByTestId('reference-run')).toHaveCount(2);

  // A dense run next: neither method is live, yet their panels draw the pinned runs.
  await page.getByTestId('preset').selectOption('simclr-dense');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });

  // Expected dashed lines per panel = pinned runs carrying that series: loss and FLOPs saved
  // both; kNN the CDG run only (measured every 2 steps); SyncCP density the 2:4 run only;
  // CDG gate density the CDG run only.
  const expected: Record<string, string[]> = { 'panel-loss': [cdg, nm], 'panel-knn': [cdg], 'panel-flops': [cdg, nm], 'panel-syncp': [nm], 'panel-cdg': [cdg] };
  for (const [panel, labels] of Object.entries(expected)) {
    await expect(dashed(page, panel), panel).toHaveCount(labels.length);
    for (const l of labels) await expect(page.getByTestId(panel), `${panel} labels ${l}`).toContainText(l.replace(/ · step \d+$/, ''));
  }
  // The loss legend (this run and both pins) sits below the plot, not over it: recharts' own
  // legend, fixed at the top, overlapped the curves once the pins wrapped it to two lines.
  const lossLegend = page.getByTestId('panel-loss').locator('.legend-row');
  await expect(lossLegend).toContainText('this run');
  const plot = (await page.getByTestId('panel-loss').locator('.recharts-surface').first().boundingBox())!;
  const legendBox = (await lossLegend.boundingBox())!;
  expect(legendBox.y, 'the legend starts below the plot').toBeGreaterThanOrEqual(plot.y + plot.height - 1);
  // The method panels say the live run lacks the method, and draw the references alone.
  await expect(page.getByTestId('panel-syncp').getByTestId('not-applicable')).toContainText('SyncCP is off');
  await expect(page.getByTestId('panel-cdg').getByTestId('not-applicable')).toContainText('CDG is off');

  mkdirSync(ARTIFACTS, { recursive: true });
  for (const panel of ['panel-loss', 'panel-knn', 'panel-syncp', 'panel-cdg', 'panel-flops']) await page.getByTestId(panel).screenshot({ path: `${ARTIFACTS}/compare-${panel}.png` });

  // Remove the CDG pin: its lines go from every chart; the gate panel has nothing left to draw.
  await page.getByTestId('reference-run').filter({ hasText: cdg }).getByRole('button').click();
  await expect(page.getByTestId('reference-run')).toHaveCount(1);
  await expect(page.getByTestId('reference-run')).toContainText(nm);
  await expect(dashed(page, 'panel-cdg')).toHaveCount(0);
  await expect(page.getByTestId('panel-cdg').locator('.recharts-surface')).toHaveCount(0);
  for (const panel of ['panel-loss', 'panel-flops', 'panel-syncp']) await expect(dashed(page, panel), panel).toHaveCount(1);
  await expect(dashed(page, 'panel-knn')).toHaveCount(0);
});
