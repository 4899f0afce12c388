// The wasm backend when its .wasm files cannot be had (a page served without them, a wrong
// path): initBackend falls back to the next backend and says why, as for a missing WebGPU.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { setWasmAssetPaths } from '../../../src/engine/kernels/wasmKernels';

describe('wasm without its .wasm files', () => {
  it('falls back to cpu with the reason, and the fallback trains', async () => {
    const missing = '/nonexistent/sparsecl/tfjs-backend-wasm.wasm';
    setWasmAssetPaths({ 'tfjs-backend-wasm.wasm': missing, 'tfjs-backend-wasm-simd.wasm': missing, 'tfjs-backend-wasm-threaded-simd.wasm': missing });
    const r = await initBackend(['wasm', 'cpu']);
    expect(r.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(r.fallbacks.map((f) => f.backend)).toEqual(['wasm']);
    expect(r.fallbacks[0].reason).toMatch(/wasm backend \(its .wasm files did not load/);
    // The backend that runs is usable.
    expect(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync()))).toEqual([2, 3]);
  });
});
