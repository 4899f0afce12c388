// A GPU backend lost under a running worker: a WebGPU device lost, or a WebGL context lost (a
// driver reset, the GPU process killed, too many contexts in the browser). Neither comes back
// inside this worker: tfjs keeps using the dead device or context, and on a lost WebGL context
// the next readback never completed (seen in Chromium), so the run hung with no word. The page is
// told instead, and restarts the worker.

/** What a backend is watched through: tfjs' WebGPU backend (`device`) or WebGL backend (`gpgpu.gl`). */
interface WatchedBackend {
  device?: { lost?: Promise<{ reason?: string; message?: string }> };
  gpgpu?: { gl?: { canvas?: unknown } };
}

/**
 * Calls `onLost` once with a sentence to show when the backend's GPU is lost; nothing for a
 * host backend (cpu, wasm) or a device destroyed on purpose.
 */
export function watchBackendLoss(backendName: string, backend: unknown, onLost: (message: string) => void): void {
  const b = backend as WatchedBackend | undefined;
  let said = false;
  const once = (message: string) => {
    if (said) return;
    said = true;
    onLost(message);
  };
  if (backendName === 'webgpu') {
    void b?.device?.lost?.then((info) => {
      // tfjs destroys the device itself when the backend is disposed: not a loss.
      if (info.reason === 'destroyed') return;
      once(`The GPU device was lost${info.message ? `: ${info.message}` : ''}.`);
    });
    return;
  }
  if (backendName === 'webgl') {
    const canvas = b?.gpgpu?.gl?.canvas as EventTarget | undefined;
    canvas?.addEventListener?.('webglcontextlost', () => once('The WebGL context was lost (the GPU was reset, or the browser reclaimed the context). Training cannot go on with it in this worker.'));
  }
}
