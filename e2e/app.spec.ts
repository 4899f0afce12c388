// The app in real Chromium on WebGPU (SwiftShader without a GPU): loads, trains the tiny
// size, start/pause/step/reset do exactly what they say, and every preset builds
// and takes a step there.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, pauseIfRunning, readFps, startFps, stepCount, test, waitReady } from './fixtures';

const ARTIFACTS = 'e2e-artifacts';

test('loads on WebGPU; tiny run trains; pause holds, step adds one, reset returns to 0; every preset is offered and takes a step', async ({ page }) => {
  test.setTimeout(480_000);
  await page.goto('/?backend=webgpu&preset=simclr-dense&tiny=1');
  await expect(page).toHaveTitle(/SparseCL Playground/);
  const badge = page.getByTestId('backend');
  await expect(badge).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
  await expect(badge).toContainText('webgpu');
  await expect(page.getByTestId('backend-notice')).toHaveCount(0);
  await waitReady(page);
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await expect(page.getByTestId('loss-value')).toHaveText('—');
  await expect(page.getByTestId('preset')).toHaveValue('simclr-dense');
  // The dataset preview (a few images and two views of the first) is there before training.
  await expect(page.getByTestId('dataset-preview').locator('canvas')).toHaveCount(9);
  // Before training, the kNN chart already shows what it will be read against.
  await expect(page.getByTestId('knn-gain')).toContainText('untrained');
  await expect(page.getByTestId('panel-knn')).toContainText('untrained');
  await expect(page.getByTestId('panel-knn')).toContainText('raw pixels');
  await expect(page.getByTestId('panel-knn')).toContainText('chance');

  // Train: the step count and the loss move.
  await startFps(page);
  const t0 = Date.now();
  await page.getByTestId('start').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'running');
  await expect.poll(() => stepCount(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(2);
  const firstLoss = await page.getByTestId('loss-value').textContent();
  const s0 = await stepCount(page);
  const t1 = Date.now();
  await expect.poll(() => stepCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(s0 + 10);
  const s1 = await stepCount(page);
  const t2 = Date.now();
  const fps = await readFps(page);
  const lossNow = await page.getByTestId('loss-value').textContent();
  expect(Number(lossNow)).toBeGreaterThan(0);
  expect(lossNow).not.toEqual(firstLoss);
  const shownRate = await page.getByTestId('steps-per-second').textContent();
  console.log(
    `[measure] tiny simclr-dense on webgpu: ${((s1 - s0) / ((t2 - t1) / 1000)).toFixed(2)} steps/s over steps ${s0}→${s1} ` +
      `(page shows ${shownRate}); two steps after ${((t1 - t0) / 1000).toFixed(1)} s (the first compiles); ` +
      `page ${fps.fps.toFixed(1)} fps while training (worst frame ${fps.worstFrameMs.toFixed(0)} ms over ${fps.seconds.toFixed(1)} s)`,
  );
  // The page keeps painting while the worker trains: with training on the main thread it
  // would paint about once a step (here under 2 a second). The figure is printed above; the
  // bound only says "not blocked", with room for a loaded machine (55–57 fps measured).
  expect(fps.fps).toBeGreaterThan(5);

  // Pause holds the count.
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  const paused = await stepCount(page);
  await page.waitForTimeout(2500);
  expect(await stepCount(page)).toBe(paused);

  // Step adds exactly one.
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText(String(paused + 1), { timeout: 60_000 });
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
  await page.waitForTimeout(2000);
  expect(await stepCount(page)).toBe(paused + 1);

  // Keep a picture of the trained state.
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/trained.png`, fullPage: true });

  // Reset: back to step 0, charts cleared.
  await page.getByTestId('reset').click();
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await waitReady(page);
  await expect(page.getByTestId('loss-value')).toHaveText('—');
  await page.waitForTimeout(1000);
  await expect(page.getByTestId('step-count')).toHaveText('0');

  // Every preset, in the same page (a fresh WebGPU page compiles for ~20 s before its first step).
  const options = await page.getByTestId('preset').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(options).toEqual(['simclr-dense', 'byol-dense', 'cdg', 'syncp-unstructured', 'syncp-channel', 'syncp-2of4', 'syncp-reference']);
  // Every preset is in this build: each one must build and take a step, no banner allowed.
  for (const preset of [...options.slice(1), options[0]]) {
    // Step pressed the moment the preset changes, while its run builds (as people click).
    // The last run showed step 1 too: the count is read once the new run is built, when a
    // Step lost or sent to the replaced run would leave it at 0.
    await page.getByTestId('preset').selectOption(preset);
    await page.getByTestId('step').click();
    await expect(page).toHaveURL(new RegExp(`preset=${preset}`));
    await waitReady(page);
    await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
    await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
    await expect(page.getByTestId('loss-value')).not.toHaveText('—');
    await expect(page.getByTestId('error-banner')).toHaveCount(0);
  }
});

test('export writes run.zip; its run.json imports for replay; a corrupt file shows an error', async ({ page }, info) => {
  // cpu: export and import do not depend on the backend, and a fresh WebGPU page spends ~15 s
  // on shaders and its baseline kNN before the first step; WebGPU is covered by the rest of this file.
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
  await expect(page.getByTestId('export')).toBeEnabled();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  expect(download.suggestedFilename()).toBe('run.zip');
  await download.saveAs(info.outputPath('run.zip'));
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { unzipSync } = await import('fflate');
  // run.json inside the bundle, saved on its own: a bare run.json imports for replay.
  const path = info.outputPath('run.json');
  writeFileSync(path, unzipSync(new Uint8Array(readFileSync(info.outputPath('run.zip')) as Buffer))['run.json']);
  const run = JSON.parse(readFileSync(path, 'utf8'));
  expect(run.config.batchSize).toBe(8);
  // The untrained network's kNN is row 0; the one training step is row 1.
  expect(run.history.map((r: { step: number }) => r.step)).toEqual([0, 1]);
  expect(run.history[0].knn).toBe(run.baselines.untrained);
  expect(run.baselines.rawPixels).toBeGreaterThan(0);
  expect(run.masks).toEqual({ layers: [] });

  // Import it back: its config becomes the run's, its history is drawn beside the live one.
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('import').click()]);
  await chooser.setFiles(path);
  await waitReady(page);
  await expect(page.getByTestId('preset')).toHaveValue('');
  await expect(page.getByTestId('panel-loss')).toContainText('imported');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);

  // A corrupt file: a clear error, and the app keeps working.
  await page.getByTestId('import-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"version":1,"config":{"batchSize":-3}}') });
  await expect(page.getByTestId('error-banner')).toContainText('Could not import broken.json');
  await expect(page.getByTestId('error-banner')).toContainText('batchSize');
  await expect(page.getByTestId('start')).toBeEnabled();
});

test('Export for GPUs downloads one zip with pretrain.sh and MAPPING.md for the configuration; CDG is refused with the reason', async ({ page }, info) => {
  await page.goto('/?preset=syncp-2of4&tiny=1&backend=webgpu');
  await page.getByTestId('export-gpus-count').selectOption('8');
  const downloads: import('@playwright/test').Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.getByTestId('export-gpus').click();
  await expect.poll(() => downloads.length).toBe(1);
  // One click, one download: a browser asks before a second one (or drops it).
  await page.waitForTimeout(500);
  expect(downloads.length).toBe(1);
  expect(downloads[0].suggestedFilename()).toBe('gpu-run.zip');
  const { readFileSync } = await import('node:fs');
  const { strFromU8, unzipSync } = await import('fflate');
  const path = info.outputPath('gpu-run.zip');
  await downloads[0].saveAs(path);
  const files = Object.fromEntries(Object.entries(unzipSync(new Uint8Array(readFileSync(path)))).map(([k, v]) => [k.replace(/^gpu-run\//, ''), strFromU8(v)]));
  expect(Object.keys(files).sort()).toEqual(['MAPPING.md', 'pretrain.sh']);
  expect(files['pretrain.sh']).toMatch(/--nm True/);
  expect(files['pretrain.sh']).toMatch(/--N 2/);
  expect(files['pretrain.sh']).toMatch(/--strategy ddp/);
  expect(files['pretrain.sh']).toMatch(/--devices 0,1,2,3,4,5,6,7/);
  expect(files['MAPPING.md']).toMatch(/does not carry over/i);
  await page.getByTestId('preset').selectOption('cdg');
  await expect(page.getByTestId('export-gpus')).toBeDisabled();
  await expect(page.getByTestId('export-gpus')).toHaveAttribute('title', /CDG/);
});

test('a malformed link falls back to defaults with a notice; invalid settings are shown inline', async ({ page }) => {
  await page.goto('/?backend=cpu&preset=nope&tiny=1&lr=abc&batch=1');
  await expect(page.getByTestId('url-notice')).toContainText('unknown preset "nope"');
  await expect(page.getByTestId('url-notice')).toContainText('lr must be a number');
  await expect(page.getByTestId('url-notice')).toContainText('batch: Batch size');
  await expect(page.getByTestId('preset')).toHaveValue('simclr-dense');
  await waitReady(page);
  await expect(page.getByTestId('field-batch')).toHaveValue('8');

  await page.getByTestId('field-lr').fill('-1');
  await expect(page.getByTestId('field-lr-error')).toBeVisible();
  await page.getByTestId('field-lr').fill('0.004');
  await expect(page.getByTestId('field-lr-error')).toHaveCount(0);
  await waitReady(page);
  await expect(page).toHaveURL(/lr=0\.004/);

  // Dismissed from the keyboard, the notice does not take the focus with it to the page body.
  await page.getByTestId('dismiss-url-notice').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('url-notice')).toHaveCount(0);
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('start');
});

// On cpu, as the crash test below: what is tested is the page's settings and run rebuild,
// and a fresh WebGPU page costs ~15 s before its first step (the WebGPU tests above and
// leaks.spec train on WebGPU).
test('SimSiam, the third method, is picked in the settings and trains a step', async ({ page }) => {
  await page.goto('/?backend=cpu&tiny=1&preset=simclr-dense');
  await waitReady(page);
  await expect(page.getByTestId('field-temperature')).toBeVisible();
  await page.getByTestId('field-method').selectOption('simsiam');
  await expect(page).toHaveURL(/method=simsiam/);
  // Temperature belongs to SimCLR: the form no longer offers it.
  await expect(page.getByTestId('field-temperature')).toHaveCount(0);
  // Step at once, while the SimSiam run builds; read once it is built (a Step sent to the
  // replaced run would show 1 only until the new run's 0).
  await page.getByTestId('step').click();
  await waitReady(page);
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
  await expect(page.getByTestId('loss-value')).not.toHaveText('—');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

// On cpu: the race is between the page and the worker's run rebuild, not in a backend.
// Each iteration waits for the new run itself to train (phase running or done, with a step):
// the step count alone can still be the paused old run's.
test('a preset picked and Start pressed at once trains that preset (with and without Reset first)', async ({ page }) => {
  test.setTimeout(480_000);
  await page.goto('/?backend=cpu&tiny=1');
  await waitReady(page);
  const phase = page.getByTestId('run-phase');
  for (const [preset, resetFirst] of [['cdg', false], ['syncp-2of4', true], ['syncp-unstructured', false], ['cdg', true]] as const) {
    await pauseIfRunning(page);
    await expect(phase).not.toHaveAttribute('data-phase', /running|stepping/, { timeout: 60_000 });
    await expect(page.getByTestId('preset')).toBeEnabled({ timeout: 60_000 });
    if (resetFirst) await page.getByTestId('reset').click();
    // No wait between the two: the press must not be lost or land on the replaced run.
    // Start is enabled the moment the preset changed (read once, however long a busy page
    // takes to answer), then pressed. A click with a 1-s timeout failed 2 runs in 22 under
    // load on cpu although the press had landed (Playwright's log: "performing click action").
    await page.getByTestId('preset').selectOption(preset);
    expect(await page.getByTestId('start').isEnabled(), `${preset}: Start right after the preset change`).toBe(true);
    await page.getByTestId('start').click();
    // The old run was paused above, so running (or done) is the new run, Start not lost.
    await expect(phase).toHaveAttribute('data-phase', /running|done/, { timeout: 120_000 });
    await expect.poll(() => stepCount(page), { timeout: 120_000, message: `${preset}: the count must move` }).toBeGreaterThanOrEqual(1);
    await expect(page.getByTestId('error-banner')).toHaveCount(0);
    await expect(page).toHaveURL(new RegExp(`preset=${preset}`));
  }
  await pauseIfRunning(page);
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', /idle|done/, { timeout: 60_000 });
});

test('fashion-mnist loads from the shipped files and trains a step', async ({ page }) => {
  await page.goto('/?backend=cpu&tiny=1&dataset=fashion-mnist');
  // Step pressed as soon as it can be, before the images have loaded.
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
  await expect(page.getByTestId('field-dataset')).toHaveValue('fashion-mnist');
  await expect(page.getByTestId('dataset-preview')).toContainText('fashion-mnist');
  await expect(page.getByTestId('loss-value')).not.toHaveText('—');
});

test('a data file a host answers with a page (status 200, index.html) is said to be missing, with the URL a 404 names', async ({ page, errors }) => {
  // As a static host that sends index.html for any unknown path, where data/ was not uploaded.
  await page.route('**/data/fashion-mnist/train-images*', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html><body>SparseCL Playground</body></html>' }));
  await page.goto('/?backend=cpu&tiny=1&dataset=fashion-mnist');
  const banner = page.getByTestId('error-banner');
  await expect(banner).toContainText('it looks like HTML, so the file is probably missing', { timeout: 60_000 });
  // A 404 names the URL fetched (a wrong host path shows in it), not only the file's path.
  await page.unroute('**/data/fashion-mnist/train-images*');
  await page.route('**/data/fashion-mnist/train-images*', (route) => route.fulfill({ status: 404, body: '' }));
  await page.goto('/?backend=cpu&tiny=1&dataset=fashion-mnist');
  await expect(banner).toContainText(/cannot load http:\/\/[^ ]+\/data\/fashion-mnist\/train-images[^ ]*: HTTP 404/, { timeout: 60_000 });
  errors.splice(0, errors.length, ...errors.filter((e) => !/404|Failed to load resource/.test(e)));
});

// (WebGPU refused by the browser — no adapter — is tested in tests/unit/engine/backendChoice.test.ts with a stub.)
test('a link that names cpu: the badge and a notice say which backend runs and why; "Use the fastest" measures', async ({ page }) => {
  await page.goto('/?tiny=1&backend=cpu');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  const notice = page.getByTestId('backend-notice');
  await expect(notice).toContainText('WebGPU is not in use. Why: cpu was chosen (in the link or the backend menu). Running on the cpu backend');
  // Nothing was measured, so nothing is claimed about speed (cpu is the fast one on a machine without a GPU).
  await expect(notice).not.toContainText('slower');
  // One paragraph, not words spread over the row: the text sits in one box left of the button.
  const [text, button] = [await notice.locator('.notice-text').boundingBox(), await page.getByTestId('use-fastest').boundingBox()];
  expect(text!.x + text!.width).toBeLessThanOrEqual(button!.x);
  await waitReady(page);
  await page.getByTestId('use-fastest').click();
  await expect(page.getByTestId('backend-choice')).toBeVisible({ timeout: 60_000 });
  await expect(notice).toHaveCount(0);
  await expect(page.getByTestId('backend-select')).toHaveValue('auto');
  await expect(page).not.toHaveURL(/backend=/);
});

test('a worker crash shows the error banner with Restart, and Restart brings training back', async ({ page, errors }) => {
  await page.goto('/?backend=cpu&tiny=1');
  await waitReady(page);
  const worker = page.workers()[0];
  expect(worker).toBeTruthy();
  // An uncaught exception inside the worker, as a crash would raise.
  await worker.evaluate(() => {
    setTimeout(() => {
      throw new Error('simulated crash');
    });
  });
  const banner = page.getByTestId('error-banner');
  await expect(banner).toContainText('simulated crash');
  await expect(page.getByTestId('start')).toBeDisabled();
  await page.getByTestId('restart').click();
  await expect(banner).toHaveCount(0);
  // The restarted worker runs the backend the link named.
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
  // The page handles the worker's error event, so nothing should be logged; if Chromium
  // still logs the simulated crash, that one line is expected.
  errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('simulated crash')));
});

test('a WebGL context lost mid-run stops training with the reason and Restart, instead of hanging', async ({ page, errors }) => {
  await page.goto('/?backend=webgl&tiny=1');
  await waitReady(page);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgl');
  await page.getByTestId('start').click();
  const worker = page.workers()[0];
  // As a driver reset would: the context tfjs trains on is lost while steps run (tfjs-core keeps
  // its engine on the global object; WEBGL_lose_context is the standard way to simulate a loss).
  const lost = await worker.evaluate(() => {
    const engine = (self as unknown as { _tfengine?: { backend?: { gpgpu?: { gl?: WebGL2RenderingContext } } } })._tfengine;
    const ext = engine?.backend?.gpgpu?.gl?.getExtension('WEBGL_lose_context');
    ext?.loseContext();
    return Boolean(ext);
  });
  expect(lost, 'WEBGL_lose_context on the worker’s context').toBe(true);
  const banner = page.getByTestId('error-banner');
  await expect(banner).toContainText('WebGL context was lost', { timeout: 30_000 });
  await expect(page.getByTestId('start')).toBeDisabled();
  await page.getByTestId('restart').click();
  await expect(banner).toHaveCount(0);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'webgl', { timeout: 60_000 });
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
  // Chromium may log the loss itself (a WebGL warning); nothing else is expected.
  errors.splice(0, errors.length, ...errors.filter((e) => !/context lost|CONTEXT_LOST/i.test(e)));
});

test('a step that fails and is undone (a readback that fails) is said with its step; Step then trains it, no Restart', async ({ page }) => {
  await page.goto('/?backend=cpu&tiny=1');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
  // The next readback in the worker fails once, as a failed GPU read would (tfjs-core keeps its engine on the global object).
  await page.workers()[0].evaluate(() => {
    const backend = (self as unknown as { _tfengine: { backend: { read: (id: object) => Promise<unknown> } } })._tfengine.backend;
    const read = backend.read.bind(backend);
    let failed = false;
    backend.read = (id) => {
      if (failed) return read(id);
      failed = true;
      return Promise.reject(new Error('simulated readback failure'));
    };
  });
  await page.getByTestId('step').click();
  const banner = page.getByTestId('error-banner');
  await expect(banner).toHaveAttribute('data-kind', 'step-failed', { timeout: 60_000 });
  await expect(banner).toContainText('Step 2 failed and was undone.');
  await expect(banner).toContainText('simulated readback failure');
  await expect(page.getByTestId('restart')).toHaveCount(0);
  await expect(page.getByTestId('step-count')).toHaveText('1');
  // Clicked at once: the worker is still there, and the run goes on from step 1.
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
  // Step 2 has trained now: its banner is over.
  await expect(banner).toHaveCount(0);
});

test('the built page opened from disk (file://) says how to open it instead of staying blank', async ({ page, errors }) => {
  await page.goto(pathToFileURL(resolve('dist/index.html')).href);
  await expect(page.getByTestId('file-protocol')).toContainText('has to be served over http(s)');
  await expect(page.getByTestId('file-protocol')).toContainText('npm run preview');
  // Chromium logs the refused module script (CORS from origin 'null'): that is the case described.
  errors.splice(0, errors.length, ...errors.filter((e) => !/CORS|origin 'null'|Failed to load resource|net::ERR_FAILED/.test(e)));
});
