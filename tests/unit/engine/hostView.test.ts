// readNow (kernels/hostView.ts): on wasm a view of the heap — the tensor's values, no copy
// (two reads share the heap's buffer at the tensor's offset, where dataSync gives fresh
// copies) — and on cpu the values dataSync gives.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { readNow } from '../../../src/engine/kernels/hostView';
import { initWasmBackend } from '../../../src/engine/kernels/wasmKernels';

describe('readNow', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('on wasm: the values, as a view of the heap (no copy)', async () => {
    expect(await initWasmBackend()).toMatchObject({ ok: true });
    const values = Float32Array.from({ length: 37 }, (_, i) => i * 0.5 - 3);
    const t = tf.tensor2d(values, [37, 1]);
    const a = readNow(t);
    const b = readNow(t);
    expect(Array.from(a)).toEqual(Array.from(values));
    expect(a.buffer).toBe(b.buffer);
    expect(a.byteOffset).toBe(b.byteOffset);
    expect(t.dataSync().buffer).not.toBe(t.dataSync().buffer); // what readNow avoids
    t.dispose();
  });

  it('on cpu: the values dataSync gives', async () => {
    await tf.setBackend('cpu');
    const t = tf.tensor1d([1, -2, 3.5]);
    expect(Array.from(readNow(t))).toEqual([1, -2, 3.5]);
    t.dispose();
  });
});
