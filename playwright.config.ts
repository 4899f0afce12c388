import { defineConfig } from '@playwright/test';

// End-to-end tests in Debian's Chromium (scripts/ensure-chromium.mjs finds or installs
// it) against the built app served by `vite preview`. WebGPU works headless with only
// --enable-unsafe-webgpu: it gets the SwiftShader adapter on machines without a GPU.
// The other flags stop Chromium from reaching for a network this machine does not have.
// E2E_PORT lets two runs share a machine (each serves its own build on its own port).
const PORT = Number(process.env.E2E_PORT ?? 4317);
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  workers: 1,
  retries: 0,
  fullyParallel: false,
  // SwiftShader WebGPU is slow: a tiny step takes up to ~2 s, the kNN monitor more.
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1360, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    trace: 'off',
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
