// SyncCP's sparse masked-conv programs (kernels/webgpuSparseConv.ts) in real Chromium on its
// WebGPU (SwiftShader here): forward, dx and dW against the masked dense conv on the same
// backend, for 2:4, 2:4 ramp layers, channel, unstructured, density 0 and 1 (issue 14 item 5;
// the unit tests run the same programs on Dawn in Node). A case that silently ran the dense
// path counts as a mismatch.
import { build, type Rollup } from 'vite';
import { expect, test } from '@playwright/test';

test('SyncCP sparse convs on webgpu: the WGSL programs match the masked dense conv, forward and gradients', async ({ page }) => {
  test.setTimeout(120_000);
  const out = (await build({
    configFile: false,
    logLevel: 'error',
    build: { write: false, target: 'es2022', minify: false, lib: { entry: 'e2e/pages/webgpuSparseConv.ts', formats: ['es'], fileName: 'webgpuSparseConv' } },
  })) as Rollup.RollupOutput[];
  const code = out[0].output.find((c): c is Rollup.OutputChunk => c.type === 'chunk' && c.isEntry)!.code;
  await page.goto('/?backend=cpu');
  await page.addScriptTag({ content: code, type: 'module' });
  await expect.poll(() => page.evaluate(() => window.__webgpuSparseConv !== undefined), { timeout: 100_000 }).toBe(true);
  const r = (await page.evaluate(() => window.__webgpuSparseConv))!;
  expect(r.error).toBeUndefined();
  expect(r.backend).toBe('webgpu');
  expect(r.check!.mismatches).toEqual([]);
  expect(r.check!.cases).toBeGreaterThanOrEqual(10);
  expect(r.leaked).toBe(0);
});
