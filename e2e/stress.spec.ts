// The controls under a person who clicks at any moment: long seeded random sequences of
// clicks, key presses and setting/preset changes with 0–300 ms between them, never
// waiting for the app to be "ready". Seed 11 runs on WebGPU (slow steps: a click lands
// while a step or a rebuild is in flight); seeds 23 and 37 on cpu (fast steps: runs finish
// and restart under the clicks), so both timings are covered and CI stays under 20 min.
// After each burst: no page error (fixture), no error banner except after deliberately
// invalid input, Start trains, and the worker's tensor count after a reset returns to its
// level for the same run.
//
// Replay one sequence: STRESS_SEED=7 [STRESS_BACKEND=cpu] npx playwright test e2e/stress.spec.ts
import type { Page } from '@playwright/test';
import { expect, ifEnabled, pauseIfRunning, stepCount, test, waitReady } from './fixtures';

const PRESETS = ['simclr-dense', 'byol-dense', 'cdg', 'syncp-unstructured', 'syncp-channel', 'syncp-2of4'];
const BACKEND_OF: Record<number, 'webgpu' | 'cpu'> = { 11: 'webgpu', 23: 'cpu', 37: 'cpu' };
const SEEDS = process.env.STRESS_SEED ? [Number(process.env.STRESS_SEED)] : [11, 23, 37];
/** STRESS_BACKEND overrides the seed's backend when replaying. */
const backendOf = (seed: number): string => process.env.STRESS_BACKEND ?? BACKEND_OF[seed] ?? 'webgpu';
// 140 (two bursts a seed) in the suite, to keep CI well under 20 min; STRESS_ACTIONS=700 for a longer soak.
const ACTIONS = Number(process.env.STRESS_ACTIONS ?? 140);
const BURST = 70;

/** mulberry32: a tiny seeded generator, so a failing sequence replays from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Action =
  | { kind: 'click'; id: 'start' | 'pause' | 'step' | 'reset' | 'export' }
  | { kind: 'preset'; value: string }
  | { kind: 'field'; id: 'field-lr' | 'field-batch' | 'field-steps'; value: string }
  | { kind: 'dataset'; value: string }
  | { kind: 'key'; key: string }
  | { kind: 'bad-import' };

function randomAction(r: () => number): Action {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const u = r();
  if (u < 0.5) return { kind: 'click', id: pick(['start', 'start', 'pause', 'step', 'step', 'reset', 'export'] as const) };
  if (u < 0.68) return { kind: 'preset', value: pick(PRESETS) };
  if (u < 0.8) {
    const id = pick(['field-lr', 'field-batch', 'field-steps'] as const);
    // Invalid values a number field lets a person type: negative, empty, zero, fractional.
    const values = { 'field-lr': ['0.006', '0.003', '0.01', '-1', '', '0'], 'field-batch': ['8', '6', '4', '1', ''], 'field-steps': ['300', '40', '0', '12.5'] }[id];
    return { kind: 'field', id, value: pick(values) };
  }
  if (u < 0.84) return { kind: 'dataset', value: pick(['shapes', 'fashion-mnist']) };
  if (u < 0.97) return { kind: 'key', key: pick(['Tab', 'Enter', 'Space', 'Shift+Tab', 'ArrowDown']) };
  return { kind: 'bad-import' };
}

/** Do what a person would: a control that is disabled at that moment cannot be used, and is skipped. */
async function perform(page: Page, a: Action): Promise<void> {
  // A dialog the keys opened (Tab, Enter on the keys list's button) covers the page: a person
  // closes it before using what is behind it (the bad import's Dismiss waited behind it for good).
  if (a.kind !== 'key' && (await page.getByRole('dialog').count()) > 0) await page.keyboard.press('Escape');
  switch (a.kind) {
    case 'click': {
      const el = page.getByTestId(a.id);
      return ifEnabled(el, (quick) => el.click(quick));
    }
    case 'preset': {
      const el = page.getByTestId('preset');
      return ifEnabled(el, (quick) => el.selectOption(a.value, quick));
    }
    case 'dataset': {
      const el = page.getByTestId('field-dataset');
      return ifEnabled(el, (quick) => el.selectOption(a.value, quick));
    }
    case 'field': {
      const el = page.getByTestId(a.id);
      return ifEnabled(el, (quick) => el.fill(a.value, quick));
    }
    case 'key':
      await page.keyboard.press(a.key);
      return;
    case 'bad-import':
      await page.getByTestId('import-file').setInputFiles({ name: 'garbage.json', mimeType: 'application/json', buffer: Buffer.from('{"version":1,"config":{"syncp":{"desnity":2}}') });
      await expect(page.getByTestId('error-banner')).toHaveAttribute('data-kind', 'import');
      await page.getByTestId('error-banner').getByRole('button', { name: 'dismiss' }).click();
      return;
  }
}

/** Put the settings back to valid, trainable values (a burst may leave a field invalid or 0 steps). */
async function validSettings(page: Page): Promise<void> {
  for (const [id, value] of [['field-lr', '0.006'], ['field-batch', '8'], ['field-steps', '300']] as const) {
    const el = page.getByTestId(id);
    const invalid = (await page.getByTestId(`${id}-error`).count()) > 0;
    if (invalid || (id === 'field-steps' && Number(await el.inputValue()) < 50)) await el.fill(value);
  }
}

for (const seed of SEEDS) {
  test(`random control sequence on ${backendOf(seed)}, seed ${seed}: ${ACTIONS} actions, never wedged, tensors back to level`, async ({ page }) => {
    test.setTimeout(900_000);
    const r = rng(seed);
    const log: string[] = [];
    const baseline = new Map<string, number>();
    let comparisons = 0;
    await page.goto(`/?backend=${backendOf(seed)}&tiny=1&preset=cdg`);
    // Clicking starts right away: the first burst begins while the worker still starts up.
    try {
      for (let done = 0; done < ACTIONS; done += BURST) {
        for (let i = 0; i < BURST && done + i < ACTIONS; i++) {
          const a = randomAction(r);
          log.push(JSON.stringify(a));
          await perform(page, a);
          await page.waitForTimeout(Math.floor(r() * 301));
        }
        // After the burst: no banner (a deliberately bad import was dismissed in its action).
        await expect(page.getByTestId('error-banner')).toHaveCount(0);

        // Start trains: from whatever state the burst left, pause, fix settings, reset, and
        // press Start at once — no waiting for the rebuild. (A run that stopped on its own
        // has Pause disabled: nothing to press, and the phase check below still holds.)
        await pauseIfRunning(page);
        await expect(page.getByTestId('run-phase')).not.toHaveAttribute('data-phase', /running|stepping/, { timeout: 60_000 });
        await validSettings(page);
        await page.getByTestId('reset').click();
        await page.getByTestId('start').click();
        await expect.poll(() => stepCount(page), { timeout: 120_000, message: `seed ${seed}: the count must move after Start` }).toBeGreaterThanOrEqual(1);
        await pauseIfRunning(page); // on cpu the run may already be done
        await expect(page.getByTestId('run-phase')).toHaveAttribute('data-phase', /idle|done/, { timeout: 60_000 });

        // Tensors: a trained-then-reset run comes back to the level of the same run freshly
        // built, within this burst and across bursts that end on the same configuration.
        const tensorsAfterReset = async () => {
          await page.getByTestId('reset').click();
          await waitReady(page);
          return Number(await page.getByTestId('tensor-count').textContent());
        };
        const fresh = await tensorsAfterReset();
        expect(fresh).toBeGreaterThan(0);
        await page.getByTestId('step').click();
        await expect(page.getByTestId('step-count')).toHaveText('1', { timeout: 90_000 });
        const again = await tensorsAfterReset();
        const key = new URL(page.url()).search;
        expect(again, `seed ${seed}: tensors after train + reset of ${key}`).toBe(fresh);
        comparisons += 1;
        if (baseline.has(key)) {
          expect(fresh, `seed ${seed}: tensors of ${key} against an earlier burst`).toBe(baseline.get(key));
          comparisons += 1;
        } else baseline.set(key, fresh);
        await expect(page.getByTestId('error-banner')).toHaveCount(0);
      }
    } catch (e) {
      console.log(`[stress] seed ${seed} failed after ${log.length} actions; replay with STRESS_SEED=${seed}. Last actions:\n${log.slice(-20).join('\n')}`);
      throw e;
    }
    expect(comparisons).toBeGreaterThanOrEqual(Math.ceil(ACTIONS / BURST));
    console.log(`[stress] seed ${seed}: ${log.length} actions, ${comparisons} tensor-level comparisons over ${baseline.size} run configs`);
  });
}
