// Nothing lost: a reload offers the autosaved run, and the resumed run's next losses are
// those of the same run trained without a break (computed here first, same seed); an
// exported run.zip imports and trains on with the exported run's next loss; damaged or
// mismatched files are refused and the live run is untouched. The reload test on WebGPU
// (SwiftShader here), the export test on cpu.
import { readFileSync } from 'node:fs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, stepCount, test, waitReady, withStorageQuota } from './fixtures';

const URL_ = '/?backend=webgpu&preset=syncp-unstructured&tiny=1&steps=10';

/** `n` single steps; the exact loss after each. */
async function step(page: Page, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = (await stepCount(page)) + 1;
    await page.getByTestId('step').click();
    await expect(page.getByTestId('step-count')).toHaveText(String(next), { timeout: 90_000 });
    await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
    out.push((await page.getByTestId('loss-value').getAttribute('data-loss')) ?? '');
  }
  return out;
}

test('reload → resume continues with the losses of an uninterrupted run', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto(URL_);
  await waitReady(page);
  await expect(page.getByTestId('resume')).toHaveCount(0);
  const reference = await step(page, 5);
  expect(reference.every((l) => Number(l) > 0)).toBe(true);
  expect(new Set(reference).size).toBe(5);
  // Same seed from step 0, three steps, then the tab goes away.
  await page.getByTestId('reset').click();
  await waitReady(page);
  expect(await step(page, 3)).toEqual(reference.slice(0, 3));
  const recorded = await page.getByTestId('timeline').getAttribute('max');
  expect(Number(recorded)).toBeGreaterThanOrEqual(3);
  await page.reload();
  await waitReady(page);
  await expect(page.getByTestId('resume')).toContainText('syncp-unstructured (tiny)');
  await expect(page.getByTestId('resume')).toContainText('step 3');
  await page.getByTestId('resume').click();
  await expect(page.getByTestId('step-count')).toHaveText('3', { timeout: 60_000 });
  await waitReady(page);
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);
  await expect(page.getByTestId('preset')).toHaveValue('syncp-unstructured');
  // Every panel replays the past: the loss chart's rows, the timeline's snapshots, the SyncCP table.
  await expect(page.getByTestId('panel-loss').locator('path.recharts-curve').first()).toBeVisible();
  await expect(page.getByTestId('timeline')).toHaveAttribute('max', recorded!);
  await expect(page.getByTestId('syncp-table')).toBeVisible();
  expect(await step(page, 2)).toEqual(reference.slice(3, 5));
  // Discard forgets it: a reload offers nothing.
  await page.reload();
  await waitReady(page);
  await page.getByTestId('discard-saved').click();
  // The offer goes once the delete has committed (a reload before that would abort it).
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);
  await page.reload();
  await waitReady(page);
  await expect(page.getByTestId('resume')).toHaveCount(0);
});

// On cpu: export and import are the same on every backend (the reload test above restores
// weights into WebGPU), and a fresh WebGPU page spends ~20 s compiling before its first step.
// 100 steps: on cpu the run must still be training when the refused import below lands.
const EXPORT_URL = '/?backend=cpu&preset=syncp-unstructured&tiny=1&steps=100';

test('export run.zip → import continues with the exported run\'s next loss; damaged or mismatched files are refused', async ({ page }, info) => {
  test.setTimeout(300_000);
  await page.goto(EXPORT_URL);
  await waitReady(page);
  await step(page, 2);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  expect(download.suggestedFilename()).toBe('run.zip');
  const path = info.outputPath('run.zip');
  await download.saveAs(path);
  const zip = new Uint8Array(readFileSync(path));
  const files = unzipSync(zip);
  expect(Object.keys(files).sort()).toEqual(['model.json', 'run.json', 'weights.bin']);
  const run = JSON.parse(strFromU8(files['run.json']));
  expect(run.version).toBe(2);
  expect(run.state.step).toBe(2);
  // What the exported run does next.
  const next = await step(page, 1);

  await page.getByTestId('import-file').setInputFiles(path);
  await expect(page.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
  await waitReady(page);
  await expect(page.getByTestId('preset')).toHaveValue('');
  expect(await step(page, 1)).toEqual(next);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // Damaged: a truncated zip, and weights.bin cut short. Mismatched: weights of another width.
  const at = await stepCount(page);
  const bad = [
    { name: 'cut.zip', buffer: Buffer.from(zip.slice(0, 300)), says: /not a readable zip/ },
    { name: 'short.zip', buffer: Buffer.from(zipSync({ ...files, 'weights.bin': files['weights.bin'].slice(0, 64) })), says: /weights.bin has 64 bytes/ },
    { name: 'wider.zip', buffer: Buffer.from(zipSync({ ...files, 'run.json': strToU8(JSON.stringify({ ...run, config: { ...run.config, model: { ...run.config.model, widths: [8, 24] } } })) })), says: /this run needs/ },
  ];
  for (const b of bad) {
    await page.getByTestId('import-file').setInputFiles({ name: b.name, mimeType: 'application/zip', buffer: b.buffer });
    await expect(page.getByTestId('error-banner')).toContainText(`Could not import ${b.name}`);
    await expect(page.getByTestId('error-banner')).toContainText(b.says);
    await expect(page.getByTestId('step-count')).toHaveText(String(at));
    await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
  }
  // The live run is untouched: it trains on.
  await waitReady(page);
  await step(page, 1);
  // Also while it trains: a refused import does not pause it (it reaches its last step, 100, unaided).
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'running');
  await page.getByTestId('import-file').setInputFiles({ name: bad[1].name, mimeType: 'application/zip', buffer: bad[1].buffer });
  await expect(page.getByTestId('error-banner')).toContainText(bad[1].says);
  const whenRefused = await stepCount(page);
  console.log(`[import] refused at step ${whenRefused} of 100 while training`);
  expect(whenRefused).toBeLessThan(100);
  await expect(page.getByTestId('step-count')).toHaveText('100', { timeout: 120_000 });
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'done');
});

const CPU_URL = '/?backend=cpu&preset=simclr-dense&tiny=1&steps=50';

/**
 * This tab saves a run of `steps` steps and, reloaded, offers it; then another tab trains a
 * run of its own for one step, whose autosave replaces the one offered here.
 */
async function offerReplacedByAnotherTab(page: Page, context: BrowserContext, steps: number): Promise<void> {
  await page.goto(CPU_URL);
  await waitReady(page);
  await step(page, steps);
  await page.reload();
  await expect(page.getByTestId('resume')).toContainText(`step ${steps}`);
  const other = await context.newPage();
  await other.goto(CPU_URL);
  await waitReady(other);
  await step(other, 1);
  await other.reload();
  await expect(other.getByTestId('resume')).toContainText('step 1');
  await other.close();
}

test('a Resume restores the run it offered or nothing: a save made since (another tab) is refused, and training here withdraws the offer', async ({ page, context }) => {
  test.setTimeout(180_000);
  await offerReplacedByAnotherTab(page, context, 3);
  // This tab still offers step 3; Resume must not bring back the other tab's step-1 run in its place.
  await page.getByTestId('resume').click();
  await expect(page.getByTestId('error-banner')).toContainText('Could not resume the saved run');
  await expect(page.getByTestId('error-banner')).toContainText('was replaced by a later save');
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
  // What is saved now is offered instead; training this tab's run withdraws it on the click.
  await expect(page.getByTestId('resume')).toContainText('step 1');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('resume-offer')).toHaveCount(0);
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
});

test('a key pressed the moment Resume is clicked trains nothing: a refused resume leaves the saved run as it was', async ({ page, context }) => {
  test.setTimeout(180_000);
  // Another tab's save replaces the one offered here, so this tab's Resume will be refused.
  await offerReplacedByAnotherTab(page, context, 2);
  // The click and a → in the same task, as a person pressing a key right after clicking:
  // while the resume is on its way, → must not queue a step for the run that stays live.
  await page.evaluate(() => {
    (document.querySelector('[data-testid="resume"]') as HTMLButtonElement).click();
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true }));
  });
  await expect(page.getByTestId('error-banner')).toContainText('was replaced by a later save');
  await page.waitForTimeout(1500); // a queued step would have trained (and autosaved) by now
  await expect(page.getByTestId('step-count')).toHaveText('0');
  // The other tab's save is intact: still offered, at its step.
  await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
  await expect(page.getByTestId('resume')).toContainText('step 1');
});

// cpu: the quota is what is tested. A storage quota too small for any run (CDP) makes every
// autosave fail: each run says so once, also the one after a Reset (the page clears the
// banner when a run is built; the worker said it once a worker's life before).
test('a run that cannot be autosaved says so, and so does the next run after a Reset', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=20');
  await waitReady(page);
  await withStorageQuota(page, 1, async () => {
    const banner = page.getByTestId('error-banner');
    await page.getByTestId('step').click();
    await expect(banner).toHaveAttribute('data-kind', 'autosave', { timeout: 30_000 });
    await expect(banner).toContainText('the run could not be saved in this browser');
    await page.getByTestId('reset').click();
    await expect(banner).toHaveCount(0); // a new run: the banner goes, until its own save fails
    await page.getByTestId('step').click();
    await expect(banner, 'the run after the Reset').toHaveAttribute('data-kind', 'autosave', { timeout: 30_000 });
    await expect(banner).toContainText('the run could not be saved in this browser');
  });
});
