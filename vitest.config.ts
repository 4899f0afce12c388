import { defineConfig } from 'vitest/config';

// Unit tests run in Node on the tfjs cpu backend (tests/setup-cpu.ts); the WebGPU
// parity test selects webgpu itself. Two cores on CI: run files in two forks.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['tests/setup-cpu.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
