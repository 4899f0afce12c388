import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { execSync } from 'node:child_process';

// What the backend calibration cached in a browser was measured with: a later build may
// time its backends differently (new kernels), so its cache is not reused.
function buildId(): string {
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return `built ${new Date().toISOString()}`;
  }
}

// base './' so the built app works from any sub-path (e.g. GitHub Pages); the worker
// is an ES module worker because the trainer imports tfjs as ES modules.
export default defineConfig({
  base: './',
  plugins: [react()],
  define: { __APP_BUILD__: JSON.stringify(buildId()) },
  worker: { format: 'es' },
  // Pre-bundle what the worker imports: discovered late, they would re-optimise and
  // reload the dev page in the middle of the first run.
  optimizeDeps: { include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', 'react', 'react-dom', 'react-dom/client', 'recharts', 'zustand', 'zod'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
