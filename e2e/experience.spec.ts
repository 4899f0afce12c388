// The playground experience (issue 15, parts 1, 2, 4 and classroom mode): the settings panel
// generated from the settings table, keyboard shortcuts, classroom lessons, and the layout
// at 1280×720 and at a tablet width in light and dark. Every URL names backend=cpu: none of
// this depends on the backend, and WebGPU (covered by app.spec.ts, panels, stress, leaks,
// link and resume) costs ~10× a step on CI's software adapter.
import { mkdirSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { buildConfig, SETTINGS } from '../src/engine/config';
import { applies, getAt } from '../src/engine/settingsTable';
import { expect, pauseIfRunning, stepCount, test, waitReady } from './fixtures';

const ARTIFACTS = 'e2e-artifacts';

/** Every setting field the panel shows: test id → enabled (applies) or greyed. */
async function shownSettings(page: Page): Promise<Record<string, boolean>> {
  return page.getByTestId('settings-panel').evaluate((panel) => {
    const out: Record<string, boolean> = {};
    for (const el of panel.querySelectorAll<HTMLInputElement>('[data-testid^="setting-"]')) {
      if (el.matches('input, select')) out[el.dataset.testid!] = !el.disabled;
    }
    return out;
  });
}

async function blur(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

test('settings panel: every setting that applies, greyed ones say why; an invalid value is shown inline and not applied; a valid one restarts the run and lands in the URL', async ({ page }) => {
  await page.goto('/?backend=cpu&preset=syncp-2of4&tiny=1');
  await waitReady(page);
  const panel = page.getByTestId('settings-panel');
  await panel.locator('summary').click();

  // What the panel must list, from the settings table itself.
  const config = buildConfig({ preset: 'syncp-2of4', tiny: true }) as unknown as Record<string, unknown>;
  const expected: Record<string, boolean> = {};
  for (const s of SETTINGS) if (!s.method || getAt(config, s.method) !== null) expected[`setting-${s.key}`] = applies(s, config);
  expect(await shownSettings(page)).toEqual(expected);
  // CDG is off in this preset: its settings are not offered (editing one would switch it on).
  await expect(page.getByTestId('settings-topic-cdg-off')).toContainText('CDG is off in this preset');
  await expect(page.getByTestId('setting-cdg.beta')).toHaveCount(0);
  // A greyed setting says what it needs.
  await expect(page.getByTestId('setting-temperature')).toBeDisabled();
  await expect(page.getByTestId('setting-temperature-why')).toContainText('SimCLR');
  await expect(page.getByTestId('setting-syncp.density-why')).toContainText('N:M');

  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
  const urlBefore = page.url();

  // Not allowed: the message under the field, nothing applied (same run, same URL).
  await page.getByTestId('setting-syncp.gap').fill('2');
  await expect(page.getByTestId('setting-syncp.gap-error')).toHaveText('Density gap must be ≤ 1 (got 2)');
  await expect(page.getByTestId('setting-syncp.gap')).toHaveAttribute('aria-invalid', 'true');
  await page.waitForTimeout(500);
  await expect(page.getByTestId('step-count')).toHaveText('1');
  expect(page.url()).toBe(urlBefore);
  await page.getByTestId('setting-syncp.n').fill('5');
  await expect(page.getByTestId('setting-syncp.n-error')).toContainText('N ≤ M');
  await page.getByTestId('setting-syncp.n').fill('2');

  // Allowed: the run restarts at step 0 with it, and the link carries it.
  await page.getByTestId('setting-syncp.gap').fill('0.2');
  await expect(page.getByTestId('setting-syncp.gap-error')).toHaveCount(0);
  await expect(page).toHaveURL(/syncp\.gap=0\.2/);
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await waitReady(page);
  // A setting outside the compact form (the kNN k) goes the same way, and a checkbox too.
  await page.getByTestId('setting-eval.knnK').fill('5');
  await expect(page).toHaveURL(/eval\.knnK=5/);
  await page.getByTestId('setting-syncp.granularity').selectOption('unstructured');
  await expect(page.getByTestId('setting-syncp.regrowth.enabled')).toBeEnabled();
  // The rate is read only with regrowth on: greyed until it is ticked.
  await expect(page.getByTestId('setting-syncp.regrowth.rate')).toBeDisabled();
  await expect(page.getByTestId('setting-syncp.regrowth.rate-why')).toContainText('Regrowth on');
  await page.getByTestId('setting-syncp.regrowth.enabled').check();
  await expect(page).toHaveURL(/syncp\.regrowth\.enabled=1/);
  await expect(page.getByTestId('setting-syncp.regrowth.rate')).toBeEnabled();
  await expect(page).toHaveURL(/syncp\.granularity=unstructured/);
  await waitReady(page);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

test('keyboard: Space starts and pauses, → adds one step, r resets, ? lists the keys; nothing while typing', async ({ page }) => {
  await page.goto('/?backend=cpu&preset=simclr-dense&tiny=1');
  await waitReady(page);
  await blur(page);

  await page.keyboard.press('Space');
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'running');
  await expect.poll(() => stepCount(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(1);
  await page.keyboard.press('Space');
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  const paused = await stepCount(page);
  await page.waitForTimeout(1500);
  expect(await stepCount(page)).toBe(paused);

  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('step-count')).toHaveText(String(paused + 1), { timeout: 60_000 });
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');

  await page.keyboard.press('r');
  await expect(page.getByTestId('step-count')).toHaveText('0');
  await waitReady(page);

  await page.keyboard.press('?');
  const overlay = page.getByTestId('keys-overlay');
  await expect(overlay).toBeVisible();
  await expect(overlay).toHaveAttribute('role', 'dialog');
  for (const k of ['Space', '→', 'r', '?', 'Esc']) await expect(overlay.locator('kbd', { hasText: k }).first()).toBeVisible();
  // While the list is open, the run keys do nothing.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Escape');
  await expect(overlay).toHaveCount(0);
  await page.waitForTimeout(800);
  await expect(page.getByTestId('step-count')).toHaveText('0');

  // Typing in a field: the keys stay in the field.
  await page.getByTestId('field-lr').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Space');
  await page.keyboard.press('?');
  await page.waitForTimeout(800);
  await expect(page.getByTestId('keys-overlay')).toHaveCount(0);
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
  await expect(page.getByTestId('step-count')).toHaveText('0');

  // The buttons name their keys for assistive technology.
  await expect(page.getByTestId('start')).toHaveAttribute('aria-keyshortcuts', 'Space');
  await expect(page.getByTestId('step')).toHaveAttribute('aria-keyshortcuts', 'ArrowRight');
  await expect(page.getByRole('button', { name: 'Reset to step 0' })).toBeVisible();
  // A voice command says what the button shows; the run's phase is a status region (said when it changes).
  await expect(page.getByRole('button', { name: /^\+1 Step/ })).toBeVisible();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('role', 'status');
  // Every chart is named: recharts makes each a keyboard stop, which said only "application".
  const charts = page.locator('svg.recharts-surface');
  await expect.poll(() => charts.count()).toBeGreaterThan(1);
  const names = await charts.evaluateAll((svgs) => svgs.map((svg) => svg.querySelector(':scope > title')?.textContent ?? ''));
  expect(names.filter((t) => t.trim() === ''), names.join(' | ')).toEqual([]);

  // The single-key shortcuts can be turned off (from the list of keys), and are then off.
  await page.getByTestId('keys-button').click();
  await page.getByTestId('shortcuts-enabled').uncheck();
  await page.keyboard.press('Escape');
  await blur(page);
  await page.keyboard.press('Space');
  await page.waitForTimeout(800);
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle');
  await expect(page.getByTestId('step-count')).toHaveText('0');
});

test('keyboard on the run buttons: Enter on +1 Step twice takes two steps; Enter on Start, then Enter again, pauses (focus follows the buttons)', async ({ page }) => {
  await page.goto('/?backend=cpu&tiny=1&steps=300');
  await waitReady(page);
  // The pressed button disables itself until the worker answers; focus must come back to it.
  await page.getByTestId('step').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 60_000 });
  await expect(page.getByTestId('step')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('step-count')).toHaveText('2', { timeout: 60_000 });
  // Start: focus moves to Pause, the control pressed next.
  await page.getByTestId('start').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('pause')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', /idle|done/, { timeout: 60_000 });
  await expect(page.getByTestId('start')).toBeFocused();
});

test('classroom mode: fewer controls, larger type; each lesson loads its preset (select and URL) and highlights its panel', async ({ page }) => {
  await page.goto('/?backend=cpu&classroom=1&preset=simclr-dense&tiny=1');
  const lesson = page.getByTestId('lesson');
  await expect(lesson).toBeVisible();
  await expect(lesson).toHaveAttribute('data-lesson', 'contrastive');
  for (const id of ['settings-panel', 'export', 'import', 'export-gpus', 'backend-select', 'field-lr']) await expect(page.getByTestId(id)).toHaveCount(0);
  await expect(page.getByTestId('preset')).toBeVisible();
  await expect(page.getByTestId('start')).toBeVisible();
  const fontSize = await page.locator('.app').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(fontSize).toBeGreaterThanOrEqual(17);
  await expect(page.getByTestId('panel-loss')).toHaveAttribute('data-lesson-highlight', 'watch');
  await waitReady(page);

  // The SimCLR lessons run at the default size (kNN rises there), the sparsity ones at the
  // tiny size (a whole schedule in 300 quick steps): the link opened at tiny=1 went to the default.
  await expect(page).not.toHaveURL(/tiny=1/);
  const lessons = [
    { id: 'knn', preset: 'simclr-dense', panel: 'panel-knn', tiny: false },
    { id: 'syncp', preset: 'syncp-unstructured', panel: 'panel-syncp', tiny: true },
    { id: 'nm', preset: 'syncp-2of4', panel: 'panel-nm', tiny: true },
    { id: 'cdg', preset: 'cdg', panel: 'panel-cdg', tiny: true },
  ];
  for (const l of lessons) {
    await page.getByTestId('lesson-next').click();
    await expect(lesson).toHaveAttribute('data-lesson', l.id);
    await expect(page.getByTestId('preset')).toHaveValue(l.preset);
    await expect(page).toHaveURL(new RegExp(`preset=${l.preset}(&|$)`));
    await expect(page).toHaveURL(/classroom=1/);
    if (l.tiny) await expect(page).toHaveURL(/tiny=1/);
    else await expect(page).not.toHaveURL(/tiny=1/);
    await expect(page.getByTestId(l.panel)).toHaveAttribute('data-lesson-highlight', 'watch');
    await expect(page.getByTestId(l.panel)).toBeInViewport();
    await expect(page.locator('[data-lesson-highlight="watch"]')).toHaveCount(1);
  }
  await expect(page.getByTestId('lesson-next')).toBeDisabled();
  await expect(page.getByTestId('panel-flops')).toHaveAttribute('data-lesson-highlight', 'also');
  await expect(lesson).toContainText('on WebGL it is computed everywhere');

  await page.getByTestId('lesson-prev').click();
  await expect(lesson).toHaveAttribute('data-lesson', 'nm');
  await expect(page.getByTestId('preset')).toHaveValue('syncp-2of4');
  await expect(page.getByTestId('panel-nm')).toHaveAttribute('data-lesson-highlight', 'watch');
  await expect(page.getByTestId('lesson-mismatch')).toHaveCount(0);
  // The Preset select stays in classroom mode: the card then says the run is not the
  // lesson's, and its button loads the lesson's run again (clicked without waiting for the
  // build of the other preset).
  await page.getByTestId('preset').selectOption('byol-dense');
  await expect(page.getByTestId('lesson-mismatch')).toContainText('byol-dense is on screen; this lesson runs syncp-2of4');
  await page.getByTestId('lesson-load').click();
  await expect(page.getByTestId('preset')).toHaveValue('syncp-2of4');
  await expect(page.getByTestId('lesson-mismatch')).toHaveCount(0);
  await expect(lesson).toHaveAttribute('data-lesson', 'nm');
  await waitReady(page);
  await expect(page.getByTestId('error-banner')).toHaveCount(0);
});

test('a classroom link with settings keeps them in its first lesson, at the tiny size, and in the next lesson on the same preset', async ({ page }) => {
  // One the tiny size cannot keep (a batch of 256 over its 200 images) is said on the lesson
  // card (classroom mode hides the settings form), then dropped; the others stay.
  await page.goto('/?backend=cpu&classroom=1&preset=cdg&batch=256&cdg.density=0.3');
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'cdg');
  await expect(page.getByTestId('lesson-dropped')).toContainText('Batch size: 256 does not fit the tiny size');
  await waitReady(page);
  await expect(page).toHaveURL(/cdg\.density=0\.3(&|$)/);
  await expect(page).not.toHaveURL(/batch=/);

  await page.goto('/?backend=cpu&classroom=1&preset=cdg&cdg.density=0.2');
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'cdg');
  await waitReady(page);
  await expect(page).toHaveURL(/tiny=1/);
  // The URL is written from the applied config: the run was built with the link's density.
  await expect(page).toHaveURL(/cdg\.density=0\.2(&|$)/);
  await page.getByTestId('step').click();
  await expect.poll(() => stepCount(page)).toBe(1);
  await expect(page).toHaveURL(/cdg\.density=0\.2(&|$)/);
  // To another preset's lesson and back: the link's setting comes back with the lesson.
  await page.getByTestId('lesson-prev').click();
  await expect(page.getByTestId('lesson')).not.toHaveAttribute('data-lesson', 'cdg');
  await expect(page).not.toHaveURL(/cdg\.density/);
  await page.getByTestId('lesson-next').click();
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'cdg');
  await expect(page).toHaveURL(/cdg\.density=0\.2(&|$)/);

  // The next lesson on the same preset keeps the link's settings and the run trained so far.
  await page.goto('/?backend=cpu&classroom=1&preset=simclr-dense&temperature=0.5');
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'contrastive');
  await waitReady(page);
  await page.getByTestId('step').click();
  await expect.poll(() => stepCount(page)).toBe(1);
  await page.getByTestId('lesson-next').click();
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'knn');
  await expect(page).toHaveURL(/temperature=0\.5(&|$)/);
  expect(await stepCount(page)).toBe(1);
  // Space right after Next starts training, as the lessons say; it does not press Next again.
  await page.keyboard.press('Space');
  await expect.poll(() => stepCount(page), { timeout: 60_000 }).toBeGreaterThan(1);
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'knn');
  await pauseIfRunning(page);
});

test('layout at 1280×720 and 820×1180, light and dark: screenshots, panels stack on the tablet, nothing overflows', async ({ page }) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/?backend=cpu&preset=syncp-2of4&tiny=1');
  await waitReady(page);
  // A few steps, so the charts have something to show (the first mask update, at step 45, is too far for this budget).
  await page.getByTestId('start').click();
  await expect.poll(() => stepCount(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(6);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', 'idle', { timeout: 60_000 });
  await page.waitForTimeout(3500); // the panels' snapshot after the pause

  const shots: [string, number, number][] = [
    ['1280x720', 1280, 720],
    ['820x1180', 820, 1180],
  ];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g)!.map(Number);
    if (scheme === 'dark') expect(r + g + b).toBeLessThan(150);
    else expect(r + g + b).toBeGreaterThan(600);
    for (const [name, w, h] of shots) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(600);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name}: no sideways scrolling`).toBeLessThanOrEqual(w);
      await page.screenshot({ path: `${ARTIFACTS}/experience-${name}-${scheme}.png` });
      await page.screenshot({ path: `${ARTIFACTS}/experience-${name}-${scheme}-full.png`, fullPage: true });
    }
    // Tablet: the panels stack in one column.
    const loss = await page.getByTestId('panel-loss').boundingBox();
    const data = await page.getByTestId('panel-data').boundingBox();
    const nm = await page.getByTestId('panel-nm').boundingBox();
    expect(Math.abs(loss!.x - data!.x)).toBeLessThan(2);
    expect(Math.abs(nm!.x - data!.x)).toBeLessThan(2);
    await page.setViewportSize({ width: 1280, height: 720 });
  }
  // The settings panel open, and the classroom, in both themes.
  await page.getByTestId('settings-panel').locator('summary').click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.getByTestId('settings-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/experience-settings-${scheme}.png` });
  }
  await page.keyboard.press('?');
  await page.screenshot({ path: `${ARTIFACTS}/experience-keys-dark.png` });
  await page.keyboard.press('Escape');
  await page.goto('/?backend=cpu&classroom=1&preset=syncp-2of4&tiny=1');
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'nm');
  await waitReady(page);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${ARTIFACTS}/experience-classroom-1280x720-${scheme}.png` });
  }
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.screenshot({ path: `${ARTIFACTS}/experience-classroom-820x1180-dark.png` });
});

test('the Classroom mode link carries a lesson’s run, and names lesson 1’s for a run no lesson runs', async ({ page }) => {
  // No waiting for the run: the link is there from the first render.
  await page.goto('/?backend=cpu&preset=syncp-2of4&tiny=1&syncp.gap=0.2');
  const link = page.getByTestId('classroom-link');
  await expect(link).toHaveAttribute('data-keeps-run', '1');
  await expect(link).toHaveAttribute('href', /preset=syncp-2of4.*classroom=1|classroom=1.*preset=syncp-2of4/);
  await expect(link).toHaveAttribute('href', /syncp\.gap=0\.2/);
  await page.goto('/?backend=cpu&preset=byol-dense&tiny=1');
  await expect(link).toHaveAttribute('data-keeps-run', '0');
  await expect(link).toHaveAttribute('href', /preset=simclr-dense/);
  await expect(link).toHaveAttribute('title', /opens lesson 1 on its own run \(byol-dense has no lesson\)/);
  await link.click();
  await expect(page.getByTestId('lesson')).toHaveAttribute('data-lesson', 'contrastive');
  await expect(page.getByTestId('preset')).toHaveValue('simclr-dense');
});
