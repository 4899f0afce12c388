// A WebGPU whose adapter answers but whose device never comes: tfjs's own start (inside
// tf.setBackend) then stays pending, and tfjs makes tf.ready() wait for it even after another
// backend is set. The start must be given up on at its limit so that the app still gets a
// backend that runs ops, whether the backend was named or chosen by measurement. Its own
// process: giving the start up removes 'webgpu' from tfjs's registry.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { chooseBackend } from '../../../src/engine/backendChoice';

/** An adapter that answers at once, and a device request that never does. */
function hangingDevice(): void {
  const adapter = { info: { vendor: 'test', architecture: 'hanging-device' }, features: new Set<string>(), limits: {}, requestDevice: () => new Promise(() => {}) };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => adapter } }, configurable: true, writable: true });
  // tfjs-backend-webgpu registers itself only where navigator.gpu existed when it was first
  // imported; a factory that never settles stands for its start wherever it did not, and
  // after an earlier test gave WebGPU up (which removed it): each test starts afresh.
  if (!tf.findBackendFactory('webgpu')) tf.registerBackend('webgpu', () => new Promise<never>(() => {}), 3);
}

/** `p`, or 'hung' after `ms`: the failure the fix prevents is a promise that never settles. */
const orHung = <T,>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);

afterEach(() => {
  delete (globalThis as { navigator?: unknown }).navigator;
});

describe('a WebGPU start that never finishes', () => {
  it('named (?backend=webgpu): the start falls back to the next backend at its limit, with the reason', async () => {
    hangingDevice();
    const r = await orHung(initBackend(['webgpu', 'cpu'], { startMs: 300 }), 10_000);
    expect(r).not.toBe('hung');
    if (r === 'hung') return;
    expect(r.backend).toBe('cpu');
    expect(r.requested).toBe('webgpu');
    expect(r.fallbacks).toEqual([{ backend: 'webgpu', reason: 'starting webgpu did not finish within 300 ms' }]);
    expect(await orHung(tf.ready(), 2000)).not.toBe('hung');
    expect(Array.from(tf.mul(tf.scalar(2), tf.scalar(3)).dataSync())).toEqual([6]);
  });
  it('chosen by measurement: WebGPU is cut at its start limit, cpu is chosen and runs ops', async () => {
    hangingDevice();
    const limits = { startMs: 300, measureMs: 5000, adapterMs: 200 };
    const r = await orHung(chooseBackend(['webgpu', 'cpu'], { shape: { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 }, budgetMs: 300, limits }), 10_000);
    expect(r).not.toBe('hung');
    if (r === 'hung') return;
    expect(r.backend).toBe('cpu');
    const webgpu = r.calibration!.timings.find((t) => t.backend === 'webgpu')!;
    expect(webgpu).toMatchObject({ ms: null, startTimedOut: true });
    expect(webgpu.reason).toMatch(/starting webgpu did not finish within 300 ms/);
    // tfjs is not left waiting on the abandoned start: ready resolves and ops run on cpu.
    expect(await orHung(tf.ready(), 2000)).not.toBe('hung');
    expect(tf.backend()).toBe(tf.findBackend('cpu'));
    expect(Array.from(tf.add(tf.scalar(2), tf.scalar(3)).dataSync())).toEqual([5]);
  });

});
