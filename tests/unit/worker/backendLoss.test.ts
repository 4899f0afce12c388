import { describe, expect, it, vi } from 'vitest';
import { watchBackendLoss } from '../../../src/worker/backendLoss';

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('watchBackendLoss', () => {
  it('says a WebGPU device lost, with its message, but not one tfjs destroyed itself', async () => {
    const said = vi.fn();
    watchBackendLoss('webgpu', { device: { lost: Promise.resolve({ reason: 'unknown', message: 'driver reset' }) } }, said);
    await settle();
    expect(said.mock.calls).toEqual([['The GPU device was lost: driver reset.']]);
    const quiet = vi.fn();
    watchBackendLoss('webgpu', { device: { lost: Promise.resolve({ reason: 'destroyed', message: '' }) } }, quiet);
    await settle();
    expect(quiet).not.toHaveBeenCalled();
  });

  it('says a lost WebGL context once, however often the canvas reports it', () => {
    const canvas = new EventTarget();
    const said = vi.fn();
    watchBackendLoss('webgl', { gpgpu: { gl: { canvas } } }, said);
    expect(said).not.toHaveBeenCalled();
    canvas.dispatchEvent(new Event('webglcontextlost'));
    canvas.dispatchEvent(new Event('webglcontextlost'));
    expect(said).toHaveBeenCalledTimes(1);
    expect(said.mock.calls[0][0]).toMatch(/^The WebGL context was lost/);
  });

  it('watches nothing on a host backend, even one with a canvas-like field', () => {
    const canvas = new EventTarget();
    const said = vi.fn();
    watchBackendLoss('cpu', { gpgpu: { gl: { canvas } } }, said);
    canvas.dispatchEvent(new Event('webglcontextlost'));
    expect(said).not.toHaveBeenCalled();
    expect(() => watchBackendLoss('webgl', undefined, said)).not.toThrow();
  });
});
