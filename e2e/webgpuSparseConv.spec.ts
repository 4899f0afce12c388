// SyncCP's sparse masked-conv programs (kernels/webgpuSparseConv.ts) in real Chromium on its
// WebGPU (SwiftShader here): forward, dx and dW against the masked dense conv on the same
// backend, for 2:4, 2:4 ramp layers, channel, unstructured, density 0 and 1 (issue 14 item 5;
// the unit tests run the same programs on Dawn in Node). A case that silently ran the dense
// path counts as a mismatch.
import { expect, test } from '@playwright/test';
import { runPageCheck } from './pageCheck';
import type { Published } from './pages/publish';
import type { WebgpuSparseConvResult } from './pages/webgpuSparseConv';

test('SyncCP sparse convs on webgpu: the WGSL programs match the masked dense conv, forward and gradients', async ({ page }) => {
  test.setTimeout(120_000);
  const r = await runPageCheck<Published<WebgpuSparseConvResult>>(page, 'e2e/pages/webgpuSparseConv.ts', '__webgpuSparseConv');
  expect(r.error).toBeUndefined();
  expect(r.backend).toBe('webgpu');
  expect(r.check!.mismatches).toEqual([]);
  expect(r.check!.cases).toBeGreaterThanOrEqual(10);
  expect(r.leaked).toBe(0);
});
