import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// base './' so the built app works from any sub-path (e.g. GitHub Pages); the worker
// is an ES module worker because the trainer imports tfjs as ES modules.
export default defineConfig({
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
});
