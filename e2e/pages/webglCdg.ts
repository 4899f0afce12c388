// Bundled by e2e/webglCdg.spec.ts (esbuild) and run in the app's page: CDG's WebGL
// programs against their references (src/bench/gateCheck.ts, src/bench/webglCdgCheck.ts).
import * as tf from '@tensorflow/tfjs';
import { checkGate } from '../../src/bench/gateCheck';
import { checkWebGLGatedConv } from '../../src/bench/webglCdgCheck';

declare global {
  interface Window {
    __webglCdg?: { backend: string; gate?: Awaited<ReturnType<typeof checkGate>>; conv?: Awaited<ReturnType<typeof checkWebGLGatedConv>>; error?: string };
  }
}

(async () => {
  try {
    await tf.setBackend('webgl');
    const backend = tf.getBackend();
    if (backend !== 'webgl') {
      window.__webglCdg = { backend };
      return;
    }
    const gate = await checkGate(false);
    const conv = await checkWebGLGatedConv();
    window.__webglCdg = { backend, gate, conv };
  } catch (e) {
    window.__webglCdg = { backend: tf.getBackend(), error: (e as Error).stack ?? String(e) };
  }
})();
