// CDG's WebGL programs (radix select, Δ, surrogate gradient, the gated conv built on them)
// in real Chromium: Node has no WebGL. The check code is bundled with esbuild (a second or
// two) and run in the served app's page, which gives it an http origin and WebGL.
import { build } from 'esbuild';
import { expect, test } from '@playwright/test';

test('CDG on webgl: radix select and gated conv match topKGate, the tf-op path and the cpu host path', async ({ page }) => {
  test.setTimeout(120_000);
  const bundle = await build({ entryPoints: ['e2e/pages/webglCdg.ts'], bundle: true, write: false, format: 'esm', target: 'es2022', logLevel: 'error' });
  await page.goto('/?backend=cpu');
  await page.addScriptTag({ content: bundle.outputFiles[0].text, type: 'module' });
  await expect.poll(() => page.evaluate(() => window.__webglCdg !== undefined), { timeout: 100_000 }).toBe(true);
  const r = (await page.evaluate(() => window.__webglCdg))!;
  expect(r.error).toBeUndefined();
  expect(r.backend).toBe('webgl');
  expect(r.gate!.mismatches).toEqual([]);
  expect(r.gate!.cases).toBeGreaterThan(30);
  expect(r.conv!.mismatches).toEqual([]);
  expect(r.conv!.hookTaken).toBe(true);
  expect(r.conv!.leaked).toBe(0);
});
