// The wasm backend for training. @tensorflow/tfjs-backend-wasm 4.22 has every kernel a
// training step of ours uses but Conv2DBackpropFilter (a conv's weight gradient): alone it
// can run our forward pass, not train. This registers the plain-JS weight gradient of
// cpuConv2DBackpropFilter.ts for it, reading x and dy straight from the WASM heap and
// writing the result into a heap buffer (no copies through tensors).
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterPlain, conv2DBackpropFilterValues, type KernelArgs } from './cpuConv2DBackpropFilter';
import { allFinite } from './finiteValues';

interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function wasmConv2DBackpropFilter(args: { inputs: { x: tf.TensorInfo; dy: tf.TensorInfo }; backend: WasmBackendLike; attrs: KernelArgs['attrs'] }): tf.TensorInfo {
  const { x, dy } = args.inputs;
  // Both loops read NHWC (the plain one would read NCHW as NHWC and return wrong values); the
  // app never builds another layout, and wasm has no tfjs kernel to hand one to.
  if (args.attrs.dataFormat !== undefined && args.attrs.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter on wasm: only NHWC (got ${args.attrs.dataFormat})`);
  const xv = args.backend.typedArrayFromHeap(x);
  const dv = args.backend.typedArrayFromHeap(dy);
  // The fast loop skips zero inputs: a NaN or ∞ in dy must meet them (a diverging run's NaN
  // reaches the loss), as the cpu kernel hands such a dy to tfjs' own.
  const dw = allFinite(dv) ? conv2DBackpropFilterValues(x.shape, xv, dv, args.attrs) : conv2DBackpropFilterPlain(x.shape, xv, dv, args.attrs);
  const out = args.backend.makeOutput(args.attrs.filterShape, 'float32');
  args.backend.typedArrayFromHeap(out).set(dw);
  return out;
}

/** Give the wasm backend the kernels it lacks for training (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: wasmConv2DBackpropFilter as unknown as tf.KernelFunc });
}

/** Where the page serves tfjs' .wasm files (file name → URL), set before the backend starts; Node reads them from the package. */
let assetPaths: Record<string, string> | undefined;

/** Name the URLs of tfjs' .wasm files (the page's bundler serves them; see src/worker/wasmAssets.ts). */
export function setWasmAssetPaths(paths: Record<string, string>): void {
  assetPaths = paths;
}

/**
 * Load and start tfjs' wasm backend with the training kernels above. In a browser the
 * .wasm files must be served and named with setWasmAssetPaths before this is called.
 */
/** `wanted`: false once the caller has given up on this start (backend.ts giveUpStart); it then switches nothing. */
export async function initWasmBackend(wanted: () => boolean = () => true): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (assetPaths) wasm.setWasmPaths(assetPaths);
  } catch (e) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm could not load: ${(e as Error).message}` };
  }
  if (!wanted()) return { ok: false, reason: 'given up' }; // initBackend says why (givenUp)
  registerWasmTrainingKernels();
  try {
    const set = await tf.setBackend('wasm');
    await tf.ready();
    if (!set || tf.getBackend() !== 'wasm') return { ok: false, reason: 'tfjs could not initialise its wasm backend (its .wasm files did not load, or WebAssembly is off)' };
  } catch (e) {
    return { ok: false, reason: `wasm backend failed: ${(e as Error).message}` };
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return { ok: true, adapter: `WebAssembly${simd ? ' SIMD' : ''}${threads ? ' threads' : ', one thread'}` };
}
