// tfjs' .wasm files as the bundler serves them (Vite's ?url: hashed files next to the app,
// nothing fetched from elsewhere), named for the wasm backend before it starts. Page-side
// only (the worker and the bench page): Node reads them from the package.
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { setWasmAssetPaths } from '../engine/kernels/wasmKernels';

export function nameWasmAssets(): void {
  setWasmAssetPaths({ 'tfjs-backend-wasm.wasm': plain, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd });
}
