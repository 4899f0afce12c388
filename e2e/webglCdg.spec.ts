// CDG's WebGL programs (radix select, Δ, surrogate gradient, the gated conv built on them)
// in real Chromium: Node has no WebGL. The check code is bundled with Vite (library mode, not
// written to disk) and run in the served app's page, which gives it an http origin and WebGL.
import { expect, test } from '@playwright/test';
import { runPageCheck } from './pageCheck';
import type { Published } from './pages/publish';
import type { WebglCdgResult } from './pages/webglCdg';

test('CDG on webgl: radix select and gated conv match topKGate, the tf-op path and the cpu host path', async ({ page }) => {
  test.setTimeout(120_000);
  const r = await runPageCheck<Published<WebglCdgResult>>(page, 'e2e/pages/webglCdg.ts', '__webglCdg');
  expect(r.error).toBeUndefined();
  expect(r.backend).toBe('webgl');
  expect(r.gate!.mismatches).toEqual([]);
  expect(r.gate!.cases).toBeGreaterThan(30);
  expect(r.conv!.cases).toBe(8); // WEBGL_CDG_CASES: every case ran
  expect(r.conv!.mismatches).toEqual([]);
  expect(r.conv!.hookTaken).toBe(true);
  expect(r.conv!.leaked).toBe(0);
});
