// Your own data in the built app: CIFAR-10 .bin batches, a folder of class sub-folders
// (real PNGs, decoded in the worker), a zip of it — each trains a step — and a file of the
// wrong size, refused with what was expected while the run stays as it was; a reload resumes
// an own-data run on its saved images, and its run.zip carries them to another browser; images
// too large for the browser's storage are said, and the run is saved without them. On the cpu
// backend: what is tested is the data path, and WebGPU's steps (app.spec.ts and others)
// cost ~10× the time on the software adapter CI has.
// Dropped files: a page-built DataTransfer (its items have no entries, so the page takes
// their Files); a dropped *folder* cannot be scripted here — a page-built DataTransfer's
// webkitGetAsEntry() is null, and CDP's Input.dispatchDragEvent with a folder path
// delivers no drag events in headless Chromium — so the folder walk is unit-tested on a
// fake entry tree (tests/unit/store/pickedFiles.test.ts).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { Page } from '@playwright/test';
import { expect, test, waitReady, withStorageQuota } from './fixtures';
import { runPageCheck } from './pageCheck';
import type { Published } from './pages/publish';
import type { DecodeResult } from './pages/decodeImage';

/** CIFAR-10 records: label, then R, G, B planes of 32×32 (a class-dependent colour). */
function cifarBatch(n: number): Buffer {
  const out = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    const label = i % 10;
    out[i * 3073] = label;
    out.fill(label * 25, i * 3073 + 1, i * 3073 + 1025);
    out.fill(255 - label * 25, i * 3073 + 1025, i * 3073 + 2049);
    out.fill((i * 37) % 256, i * 3073 + 2049, i * 3073 + 3073);
  }
  return out;
}

/**
 * As cifarBatch, with seeded pixel noise over each class's colours: Chromium compresses large
 * IndexedDB values, and flat planes shrank ~20× (2.8 MB of images stored in a 1.5 MB quota).
 */
function noisyCifarBatch(n: number, seed: number): Buffer {
  const out = cifarBatch(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    for (let p = i * 3073 + 1; p < (i + 1) * 3073; p++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[p] = (out[p] + (s >>> 24)) & 255;
    }
  }
  return out;
}

/** PNGs drawn by the browser itself: red circles and blue squares of varying size. */
async function pngs(page: Page): Promise<Record<string, Buffer>> {
  const urls = await page.evaluate(() => {
    const out: Record<string, string> = {};
    for (let i = 0; i < 5; i++) {
      for (const cls of ['circle', 'square']) {
        const c = document.createElement('canvas');
        c.width = 40 + i * 3;
        c.height = 30 + i * 5; // odd sizes: the worker resizes them
        const g = c.getContext('2d')!;
        g.fillStyle = '#fff';
        g.fillRect(0, 0, c.width, c.height);
        g.fillStyle = cls === 'circle' ? '#d55e00' : '#0072b2';
        if (cls === 'circle') {
          g.beginPath();
          g.arc(c.width / 2, c.height / 2, 8 + i, 0, 2 * Math.PI);
          g.fill();
        } else g.fillRect(5 + i, 5, 14 + i, 14 + i);
        out[`${cls}/${i}.png`] = c.toDataURL('image/png');
      }
    }
    return out;
  });
  return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, Buffer.from(v.split(',')[1], 'base64')]));
}

/** Drop files on the own-data zone, as a person dragging them from the desktop would. */
async function drop(page: Page, files: Record<string, Buffer | Uint8Array>): Promise<void> {
  const payload = Object.entries(files).map(([name, bytes]) => ({ name, b64: Buffer.from(bytes).toString('base64') }));
  await page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    const zone = document.querySelector('[data-testid="own-data-zone"]')!;
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, payload);
}

/** A refusal: the banner says what was expected; the run, its dataset and the buttons are as they were. */
async function refusedUntouched(page: Page, message: string, step: string, dataset: string): Promise<void> {
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-kind', 'data');
  await expect(page.getByTestId('error-banner')).toContainText(message);
  await expect(page.getByTestId('step-count')).toHaveText(step);
  await expect(page.getByTestId('field-dataset')).toHaveValue(dataset);
  await expect(page.getByRole('button', { name: 'Choose a folder…' })).toBeEnabled();
  await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
}

async function trainsAStep(page: Page): Promise<void> {
  await expect(page.getByTestId('field-dataset')).toHaveValue('own');
  // Step at once, while the run on the new images builds; the count is read once it is
  // built (the last run showed step 1 too: a lost Step would leave the new run at 0).
  await page.getByTestId('step').click();
  await waitReady(page);
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
  await expect(page.getByTestId('loss-value')).not.toHaveText('—');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
}

test('own data: a bad file is refused and the run untouched; CIFAR-10 batches, a folder and a zip each train', async ({ page }) => {
  test.setTimeout(360_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });

  // Refused: 100 bytes is not a whole number of 3073-byte records. The run is untouched.
  await page.getByTestId('own-data').setInputFiles({ name: 'data_batch_1.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(100) });
  await expect(page.getByTestId('error-banner')).toHaveAttribute('data-kind', 'data');
  await expect(page.getByTestId('error-banner')).toContainText('100 bytes is not a whole number of CIFAR-10 records');
  await expect(page.getByTestId('step-count')).toHaveText('1');
  await expect(page.getByTestId('field-dataset')).toHaveValue('shapes');
  await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();

  // CIFAR-10 binary batches.
  await page.getByTestId('own-data').setInputFiles([
    { name: 'data_batch_1.bin', mimeType: 'application/octet-stream', buffer: cifarBatch(60) },
    { name: 'test_batch.bin', mimeType: 'application/octet-stream', buffer: cifarBatch(20) },
  ]);
  await expect(page.getByTestId('own-data-info')).toContainText('CIFAR-10 (own files): 10 classes');
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out');
  await trainsAStep(page);
  // Another backend restarts the worker at step 0: the run stays on these images (read again for it).
  await page.getByTestId('backend-select').selectOption('wasm');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out');
  await expect(page.getByTestId('field-dataset')).toHaveValue('own');
  await trainsAStep(page);
  await page.getByTestId('backend-select').selectOption('cpu');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 60_000 });
  await waitReady(page);

  // A folder with one sub-folder per class (real PNGs of odd sizes).
  const images = await pngs(page);
  const dir = mkdtempSync(join(tmpdir(), 'own-'));
  for (const [path, bytes] of Object.entries(images)) {
    mkdirSync(join(dir, 'shapes', path.split('/')[0]), { recursive: true });
    writeFileSync(join(dir, 'shapes', path), bytes);
  }
  await page.getByTestId('own-data-folder').setInputFiles(join(dir, 'shapes'));
  await expect(page.getByTestId('own-data-info')).toContainText('own images: 2 classes (circle, square), 8 training / 2 held-out');
  await trainsAStep(page);

  // A zip of the same folders.
  const zip = zipSync(Object.fromEntries(Object.entries(images).map(([p, b]) => [`shapes/${p}`, new Uint8Array(b)])));
  await page.getByTestId('own-data').setInputFiles({ name: 'shapes.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
  await expect(page.getByTestId('own-data-info')).toContainText('own images: 2 classes (circle, square)');
  await trainsAStep(page);
  await expect(page.getByTestId('own-data-test-only')).toHaveCount(0);

  // Train and test folders whose class names differ in case: three classes, one of them
  // held out only. The page says the kNN monitor cannot score it, and still says so once
  // the run is built on these images.
  const [trainImages, heldOutImages] = [Object.entries(images).slice(0, 6), Object.entries(images).slice(6)];
  const split = zipSync(
    Object.fromEntries([
      ...trainImages.map(([p, b]) => [`pets/train/${p}`, new Uint8Array(b)]),
      ...heldOutImages.map(([p, b]) => [`pets/test/${p.replace('square', 'Square')}`, new Uint8Array(b)]),
    ]),
  );
  await page.getByTestId('own-data').setInputFiles({ name: 'pets.zip', mimeType: 'application/zip', buffer: Buffer.from(split) });
  await expect(page.getByTestId('own-data-info')).toContainText('their train and test folders): 3 classes (Square, circle, square)');
  await expect(page.getByTestId('own-data-test-only')).toContainText('Class “Square” has held-out images but no training image');
  await expect(page.getByTestId('own-data-train-only')).toContainText('Class “square” has training images but none held out');
  await waitReady(page);
  await expect(page.getByTestId('own-data-test-only')).toContainText('Class “Square”');
});

test('own data dropped: an empty drop, an odd image size and a one-class batch are refused with the run untouched; a dropped zip trains', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });

  // An empty drop, and an empty folder chosen with the folder button.
  await drop(page, {});
  await refusedUntouched(page, 'the folder is empty: expected one sub-folder per class with images (or a zip of the same, or CIFAR-10 .bin batches)', '1', 'shapes');
  const empty = mkdtempSync(join(tmpdir(), 'own-empty-'));
  await page.getByTestId('own-data-folder').setInputFiles(empty);
  await refusedUntouched(page, 'the folder is empty', '1', 'shapes');

  // CIFAR-10 records that all carry one label.
  const oneClass = cifarBatch(30);
  for (let i = 0; i < 30; i++) oneClass[i * 3073] = 4;
  await drop(page, { 'data_batch_1.bin': oneClass });
  await refusedUntouched(page, 'one class only (every record has label 4, deer)', '1', 'shapes');

  // A zip whose images are fine but for one sliver 40×6 px.
  const images = await pngs(page);
  const sliver = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 40;
    c.height = 6;
    c.getContext('2d')!.fillRect(0, 0, 40, 6);
    return c.toDataURL('image/png').split(',')[1];
  });
  const withSliver = zipSync({ ...Object.fromEntries(Object.entries(images).map(([p, b]) => [`shapes/${p}`, new Uint8Array(b)])), 'shapes/square/sliver.png': new Uint8Array(Buffer.from(sliver, 'base64')) });
  await drop(page, { 'shapes.zip': withSliver });
  await refusedUntouched(page, 'shapes/square/sliver.png is 40×6 px (too small): expected images 8–4096 px a side, at most 4:1; they are resized to', '1', 'shapes');

  // The same zip without it, dropped: images of odd but fine sizes (40×30 … 52×50) train.
  await drop(page, { 'shapes.zip': zipSync(Object.fromEntries(Object.entries(images).map(([p, b]) => [`shapes/${p}`, new Uint8Array(b)]))) });
  await expect(page.getByTestId('own-data-info')).toContainText('own images: 2 classes (circle, square), 8 training / 2 held-out');
  await trainsAStep(page);
});

/** `n` single steps; the exact loss after each. */
async function steps(page: Page, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = Number(await page.getByTestId('step-count').textContent()) + 1;
    await page.getByTestId('step').click();
    await expect(page.getByTestId('step-count')).toHaveText(String(next), { timeout: 90_000 });
    await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
    out.push((await page.getByTestId('loss-value').getAttribute('data-loss')) ?? '');
  }
  return out;
}

/** Set the image size in the settings panel (a restart setting: the run is built anew). */
async function imageSize(page: Page, side: number): Promise<void> {
  await page.getByTestId('setting-data.imageSize').fill(String(side));
}

// cpu: WebGPU resume is covered by resume.spec.ts; this one is about the images coming back.
test('own data: a reload resumes an own-data run on its saved images with the uninterrupted losses; another image size re-decodes or shrinks them, and refuses to enlarge saved ones', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=10');
  await waitReady(page);
  const cifar = [
    { name: 'data_batch_1.bin', mimeType: 'application/octet-stream', buffer: cifarBatch(60) },
    { name: 'test_batch.bin', mimeType: 'application/octet-stream', buffer: cifarBatch(20) },
  ];
  await page.getByTestId('own-data').setInputFiles(cifar);
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 16×16');
  await expect(page.getByTestId('field-dataset')).toHaveValue('own');
  await waitReady(page);
  const reference = await steps(page, 4);
  expect(new Set(reference).size).toBe(4);
  await page.getByTestId('reset').click();
  await waitReady(page);
  expect(await steps(page, 2)).toEqual(reference.slice(0, 2));

  // The tab goes away; the images come back with the run, not from the files.
  await page.reload();
  await waitReady(page);
  await expect(page.getByTestId('own-data-info')).toHaveCount(0);
  await expect(page.getByTestId('resume')).toContainText('step 2');
  await page.getByTestId('resume').click();
  await expect(page.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
  await waitReady(page);
  await expect(page.getByTestId('field-dataset')).toHaveValue('own');
  await expect(page.getByTestId('own-data-info')).toContainText('CIFAR-10 (own files): 10 classes');
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 16×16');
  expect(await steps(page, 2)).toEqual(reference.slice(2, 4));

  // Saved images without their files: a smaller side is shrunk from them, a larger one refused.
  await page.getByTestId('settings-panel').locator('summary').click();
  await imageSize(page, 8);
  await expect(page.getByTestId('own-data-info')).toContainText('images at 8×8');
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await waitReady(page);
  await steps(page, 1);
  await imageSize(page, 32);
  await expect(page.getByTestId('error-banner')).toContainText('kept at 16×16 px');
  await expect(page.getByTestId('error-banner')).toContainText('load the files again');
  await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
  // The files again: loaded at 32, and another side decodes them anew (8 from the files, not the 32-px pixels).
  await page.getByTestId('own-data').setInputFiles(cifar);
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 32×32');
  await waitReady(page);
  await steps(page, 1);
  await imageSize(page, 8);
  await expect(page.getByTestId('own-data-info')).toContainText('images at 8×8');
  await waitReady(page);
  await steps(page, 1);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

/** A tiny cpu run, switched to 60 training and 20 held-out CIFAR-10 images (two .bin batches). */
async function openOnCifar(page: Page): Promise<void> {
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=10');
  await waitReady(page);
  await page.getByTestId('own-data').setInputFiles([
    { name: 'data_batch_1.bin', mimeType: 'application/octet-stream', buffer: cifarBatch(60) },
    { name: 'test_batch.bin', mimeType: 'application/octet-stream', buffer: cifarBatch(20) },
  ]);
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 16×16');
  await expect(page.getByTestId('field-dataset')).toHaveValue('own');
  await waitReady(page);
}

/** The autosave's meta as stored now (dataset and step), read in the page. */
async function savedRun(page: Page): Promise<{ data: string; step: number } | null> {
  return page.evaluate(
    () =>
      new Promise<{ data: string; step: number } | null>((resolve, reject) => {
        const open = indexedDB.open('sparsecl-playground');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction('autosave').objectStore('autosave').get('meta');
          get.onsuccess = () => {
            db.close();
            const m = get.result as { step: number; config: { data: { name: string } } } | undefined;
            resolve(m ? { data: m.config.data.name, step: m.step } : null);
          };
        };
      }),
  );
}

// Found by a read-only hunt: the images were written only when this tab's images changed, so
// another tab's save in between (which deleted them) left this run saved without its images.
test('own data, two tabs: a save by another tab in between does not cost this run its images', async ({ page, context }) => {
  test.setTimeout(180_000);
  await openOnCifar(page);
  await steps(page, 1);
  await expect.poll(() => savedRun(page)).toEqual({ data: 'own', step: 1 });
  // Another tab trains on shapes: its save replaces this one, and its run has no own images.
  const other = await context.newPage();
  await other.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=10');
  await waitReady(other);
  await steps(other, 1);
  await expect.poll(() => savedRun(page)).toEqual({ data: 'shapes', step: 1 });
  await other.close();
  // This tab saves again: its images are written again with it.
  await steps(page, 1);
  await expect.poll(() => savedRun(page)).toEqual({ data: 'own', step: 2 });
  await page.reload();
  await waitReady(page);
  await page.getByTestId('resume').click();
  await expect(page.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 16×16');
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

// cpu, as above: what is tested is that the images travel with the run.
test('own data: run.zip carries the images; a fresh browser with no files imports it and continues with the exported run\'s next losses', async ({ page, browser }, info) => {
  test.setTimeout(300_000);
  await openOnCifar(page);
  await steps(page, 2);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  const path = info.outputPath('run.zip');
  await download.saveAs(path);
  const files = unzipSync(new Uint8Array(readFileSync(path)));
  expect(Object.keys(files).sort()).toEqual(['data.bin', 'data.json', 'model.json', 'run.json', 'weights.bin']);
  // 80 images of 16×16×3 and a label byte each.
  expect(files['data.bin'].length).toBe(80 * (16 * 16 * 3 + 1));
  const next = await steps(page, 2); // what the exported run does next

  // An import whose images are read but whose run cannot be restored (its weights do not fit
  // its config): refused, and the live run keeps its own images, also when built anew.
  const run = JSON.parse(new TextDecoder().decode(files['run.json']));
  run.config.model.widths = [8, 24];
  const meta = JSON.parse(new TextDecoder().decode(files['data.json']));
  const per = 16 * 16 * 3;
  const bin = files['data.bin']; // train images, train labels, test images, test labels
  const [trainImg, trainLab, testImg] = [0, 60 * per, 60 * per + 60];
  const fewer = new Uint8Array([
    ...bin.subarray(trainImg, trainImg + 30 * per), ...bin.subarray(trainLab, trainLab + 30),
    ...bin.subarray(testImg, testImg + 10 * per), ...bin.subarray(testImg + 20 * per, testImg + 20 * per + 10),
  ]);
  const unfit = zipSync({
    ...files,
    'run.json': new TextEncoder().encode(JSON.stringify(run)),
    'data.json': new TextEncoder().encode(JSON.stringify({ ...meta, trainCount: 30, testCount: 10 })),
    'data.bin': fewer,
  });
  await page.getByTestId('import-file').setInputFiles({ name: 'unfit.zip', mimeType: 'application/zip', buffer: Buffer.from(unfit) });
  await expect(page.getByTestId('error-banner')).toContainText('this run needs');
  await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
  await expect(page.getByTestId('step-count')).toHaveText('4');
  await page.getByTestId('reset').click();
  await expect(page.getByTestId('step-count')).toHaveText('0', { timeout: 60_000 });
  await waitReady(page);
  await expect(page.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 16×16');
  await steps(page, 1);

  // Another browser profile: no files chosen, no saved run, nothing in IndexedDB.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  const errors: string[] = []; // the fixture watches `page` only
  other.on('pageerror', (e) => errors.push(e.message));
  try {
    await other.goto('/?backend=cpu&preset=simclr-dense&tiny=1');
    await waitReady(other);
    // A zip of the run without its images (as exported before they travelled) is refused with what to do.
    const bare = zipSync({ 'run.json': files['run.json'], 'model.json': files['model.json'], 'weights.bin': files['weights.bin'] });
    await other.getByTestId('import-file').setInputFiles({ name: 'bare.zip', mimeType: 'application/zip', buffer: Buffer.from(bare) });
    await expect(other.getByTestId('error-banner')).toContainText('load them in the Data panel first');
    await other.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
    await expect(other.getByTestId('step-count')).toHaveText('0');

    await other.getByTestId('import-file').setInputFiles(path);
    await expect(other.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
    await waitReady(other);
    await expect(other.getByTestId('field-dataset')).toHaveValue('own');
    await expect(other.getByTestId('own-data-info')).toContainText('60 training / 20 held-out images at 16×16');
    expect(await steps(other, 2)).toEqual(next);
    await expect(other.getByTestId('error-banner')).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    await fresh.close();
  }
});

// cpu, as above. The browser's storage quota is lowered (CDP) so the run fits and its images do not.
test('own data: images too large for this browser\'s storage are said, for each set of images loaded; the run is saved without them', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1&steps=10');
  await waitReady(page);
  // ~2.8 MB of images at 16×16 against a 1.5 MB quota; the tiny run's own record is far smaller.
  await withStorageQuota(page, 1_500_000, async () => {
    const cifar = [
      { name: 'data_batch_1.bin', mimeType: 'application/octet-stream', buffer: noisyCifarBatch(3000, 1) },
      { name: 'test_batch.bin', mimeType: 'application/octet-stream', buffer: noisyCifarBatch(600, 2) },
    ];
    for (const round of [1, 2]) {
      await page.getByTestId('own-data').setInputFiles(cifar);
      await expect(page.getByTestId('own-data-info')).toContainText('3000 training / 600 held-out images at 16×16');
      await waitReady(page);
      await steps(page, 1);
      const banner = page.getByTestId('error-banner');
      await expect(banner, `round ${round}`).toHaveAttribute('data-kind', 'autosave', { timeout: 30_000 });
      await expect(banner).toContainText('your images did not fit in this browser\'s storage');
      await banner.getByRole('button', { name: 'dismiss' }).click();
    }
    // Saved without them: a reload offers the run, which asks for the files.
    await page.reload();
    await waitReady(page);
    await expect(page.getByTestId('resume')).toContainText('step 1');
    await page.getByTestId('resume').click();
    await expect(page.getByTestId('error-banner')).toContainText('load them in the Data panel first');
    // Other files loaded (a saved-runs hunt: the run resumed on them without a word): refused, saying so.
    const resumeWith = async (files: typeof cifar) => {
      await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
      await page.getByTestId('own-data').setInputFiles(files);
      await expect(page.getByTestId('own-data-info')).toContainText('3000 training / 600 held-out images at 16×16');
      await waitReady(page);
      await page.getByTestId('resume').click();
    };
    // Other images under the same labels (other noise), and the same images under other labels
    // (each record's label moved on by one).
    const relabelled = Buffer.from(cifar[1].buffer);
    for (let i = 0; i < relabelled.length; i += 3073) relabelled[i] = (relabelled[i] + 1) % 10;
    for (const [other, why] of [[noisyCifarBatch(600, 3), /images differ/], [relabelled, /the same counts, but other images in each class/]] as const) {
      await resumeWith([cifar[0], { ...cifar[1], buffer: other }]);
      await expect(page.getByTestId('error-banner')).toContainText('this run trained on other images than the ones loaded now');
      await expect(page.getByTestId('error-banner')).toContainText(why);
      await expect(page.getByTestId('step-count')).toHaveText('0');
    }
    // The files it trained on: it resumes at its step.
    await resumeWith(cifar);
    await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
    await expect(page.getByTestId('error-banner')).toHaveCount(0);
  });
});

// From a data hunt: own images must be shrunk by averaging, as a saved run's images shrunk later
// are (areaShrink), or one file gives other pixels by either path, and a photo shrunk 32×
// aliases. Chromium 150 averages at the canvas's default quality too (the hunt thought not);
// with smoothing off this fails (every pixel 255). Pictures that average to flat grey.
test('own images are shrunk by averaging, as areaShrink does: fine patterns become grey, not aliased black and white', async ({ page }) => {
  test.setTimeout(120_000);
  const r = await runPageCheck<Published<DecodeResult>>(page, 'e2e/pages/decodeImage.ts', '__decodeImage');
  expect(r.error).toBeUndefined();
  expect(r.cases).toHaveLength(3);
  for (const c of r.cases!) {
    // areaShrink gives 127 or 128 everywhere; within a few levels of it, so no pixel is near black or white.
    expect(c.maxFromArea, c.name).toBeLessThanOrEqual(12);
    expect(c.min, c.name).toBeGreaterThan(100);
    expect(c.max, c.name).toBeLessThan(155);
  }
});
