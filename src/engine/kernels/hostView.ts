// A tensor's float32 values for host loops that read them at once. tfjs' wasm backend copies
// a tensor out of its heap on every dataSync (a CDG step on wasm spent ~1 ms in those copies,
// 4 % of it, in a Chromium profile: scripts/profile-step-browser.ts with BACKEND=wasm); a view
// of the heap costs nothing, but the heap's buffer is replaced when wasm memory grows, so a
// view is valid only until the next tfjs call that allocates: read it before any. On other
// backends dataSync (cpu hands over its own array).
import * as tf from '@tensorflow/tfjs';

interface WasmHeap {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** t's values, read-only, to be read before the next tfjs call (see the file header). */
export function readNow(t: tf.Tensor): Float32Array {
  if (t.dtype === 'float32' && tf.getBackend() === 'wasm') return (tf.backend() as unknown as WasmHeap).typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}
