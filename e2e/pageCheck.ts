// Runs a check module in the served app's page: the module (under e2e/pages/) is bundled
// with Vite in library mode (not written to disk) and injected into the page, which gives
// it an http origin and the browser's WebGL and WebGPU; it publishes its result on `window`.
import { build, type Rollup } from 'vite';
import { expect, type Page } from '@playwright/test';

/** Bundle `entry`, run it in the app's page, and return what it put on `window[global]`. */
export async function runPageCheck<T>(page: Page, entry: string, global: string): Promise<T> {
  const out = (await build({
    configFile: false,
    logLevel: 'error',
    build: { write: false, target: 'es2022', minify: false, lib: { entry, formats: ['es'], fileName: global } },
  })) as Rollup.RollupOutput[];
  const code = out[0].output.find((c): c is Rollup.OutputChunk => c.type === 'chunk' && c.isEntry)!.code;
  await page.goto('/?backend=cpu');
  await page.addScriptTag({ content: code, type: 'module' });
  await expect.poll(() => page.evaluate((g) => (window as unknown as Record<string, unknown>)[g] !== undefined, global), { timeout: 100_000 }).toBe(true);
  return page.evaluate((g) => (window as unknown as Record<string, unknown>)[g], global) as Promise<T>;
}
