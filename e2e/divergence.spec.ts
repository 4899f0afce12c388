// A run that diverges, in the page (until now only the unit tests drove one): a run.zip
// whose weights hold a NaN (a run exported after it went wrong, or a file changed on the
// way) imports, and its next step's loss is not finite. The page says so, the run stays at
// its step, Continue is not offered (no earlier state is at hand right after an import), and
// "Reset with lr × ½" starts a fresh run at half the rate that trains with finite losses.
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { expect, stepCount, test, waitReady } from './fixtures';

test('a diverging run: said with its step, not applied, and Reset with lr × ½ trains on', async ({ page }, info) => {
  test.setTimeout(180_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=50&lr=0.004');
  await waitReady(page);
  for (let i = 1; i <= 2; i++) {
    await page.getByTestId('step').click();
    await expect(page.getByTestId('step-count')).toHaveText(String(i), { timeout: 90_000 });
  }
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  const path = info.outputPath('run.zip');
  await download.saveAs(path);
  const files = unzipSync(new Uint8Array(readFileSync(path)));
  // The first conv weight of the encoder, by the weights manifest: its first value becomes NaN.
  const model = JSON.parse(new TextDecoder().decode(files['model.json'])) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
  const weights = model.weightsManifest.flatMap((g) => g.weights);
  let offset = 0;
  const target = weights.find((w) => {
    if (/conv/.test(w.name) && w.shape.length === 4) return true;
    offset += w.shape.reduce((a, b) => a * b, 1) * 4;
    return false;
  });
  expect(target, weights.map((w) => w.name).join(', ')).toBeDefined();
  const bin = files['weights.bin'].slice();
  new DataView(bin.buffer).setFloat32(offset, NaN, true);
  const poisoned = Buffer.from(zipSync({ ...files, 'weights.bin': bin }));

  await page.getByTestId('import-file').setInputFiles({ name: 'diverged.zip', mimeType: 'application/zip', buffer: poisoned });
  // The import applied (the preset box then names no preset): the count and "ready" held before it too.
  await expect(page.getByTestId('preset')).toHaveValue('', { timeout: 60_000 });
  await expect(page.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
  await waitReady(page);
  const loss = await page.getByTestId('loss-value').getAttribute('data-loss');
  // Clicked at once, not after waiting for anything else: people do.
  await page.getByTestId('step').click();
  const banner = page.getByTestId('error-banner');
  await expect(banner).toHaveAttribute('data-kind', 'diverged', { timeout: 60_000 });
  await expect(banner).toContainText('Diverged at step 3.');
  await expect(banner).toContainText('so that step was not applied');
  await expect(page.getByTestId('continue-lower-lr')).toHaveCount(0);
  // Not applied: the step count and the last loss stay.
  await expect(page.getByTestId('step-count')).toHaveText('2');
  expect(await page.getByTestId('loss-value').getAttribute('data-loss')).toBe(loss);
  await expect(page.getByTestId('run-phase')).not.toHaveAttribute('data-phase', 'running');

  await page.getByTestId('reset-lower-lr').click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('step-count')).toHaveText('0', { timeout: 60_000 });
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
  const after = Number(await page.getByTestId('loss-value').getAttribute('data-loss'));
  expect(Number.isFinite(after)).toBe(true);
  await expect(banner).toHaveCount(0);
  // The halved rate is the run's now, and the link says it.
  expect(new URL(page.url()).searchParams.get('lr')).toBe('0.002');
  expect(await stepCount(page)).toBe(1);
});
