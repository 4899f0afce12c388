// CDG's WebGL programs (radix select, Δ, surrogate gradient, the gated conv built on them)
// in real Chromium: Node has no WebGL. The check code is bundled with Vite (library mode, not
// written to disk) and run in the served app's page, which gives it an http origin and WebGL.
import { build, type Rollup } from 'vite';
import { expect, test } from '@playwright/test';

test('CDG on webgl: radix select and gated conv match topKGate, the tf-op path and the cpu host path', async ({ page }) => {
  test.setTimeout(120_000);
  const out = (await build({
    configFile: false,
    logLevel: 'error',
    build: { write: false, target: 'es2022', minify: false, lib: { entry: 'e2e/pages/webglCdg.ts', formats: ['es'], fileName: 'webglCdg' } },
  })) as Rollup.RollupOutput[];
  const code = out[0].output.find((c): c is Rollup.OutputChunk => c.type === 'chunk' && c.isEntry)!.code;
  await page.goto('/?backend=cpu');
  await page.addScriptTag({ content: code, type: 'module' });
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
