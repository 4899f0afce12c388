import { configDefaults, defineConfig } from 'vitest/config';

// Unit tests run in Node on the tfjs cpu backend (tests/setup-cpu.ts); the WebGPU
// parity test selects webgpu itself. Two cores on CI: run files in two forks.
//
// Most files share their fork's modules (isolate: false): importing tfjs and the engine
// again for each of ~110 files cost ~60 s of set-up, a third of the unit run. Every file
// still starts on the cpu backend (the set-up file runs per file). The files listed here
// get a process of their own: two test what happens before something is first set up in a
// process (the wasm backend never started; the page's controller with no worker), one
// mocks a module the page's controller imports (the saved run it offers), and the
// ones that start WebGPU in Node (Dawn) do so once a process (and one gives a WebGPU start up, which removes it from tfjs), as the CLIs do (in one shared
// fork, a later file's Dawn device crashed the process).
const ISOLATED = [
  'tests/unit/engine/wasmFallback.test.ts',
  'tests/unit/augmentEdges.test.ts',
  'tests/unit/store/loadOwnData.test.ts',
  'tests/unit/store/stoppedWorker.test.ts',
  'tests/unit/cdg/webgpu*.test.ts',
  'tests/unit/engine/webgpu*.test.ts',
  'tests/unit/engine/gpuWorkDone.test.ts',
  'tests/unit/engine/backendDeadline.test.ts',
  'tests/unit/engine/backendStartHang.test.ts',
  'tests/unit/engine/channelRealisedWebgpu.test.ts',
  'tests/unit/engine/resume.test.ts',
  // Mocks the page's controller (and is .tsx, which the shared include does not match: it ran nowhere before).
  'tests/unit/ui/shortcutsOff.test.tsx',
];

export default defineConfig({
  test: {
    environment: 'node',
    setupFiles: ['tests/setup-cpu.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'shared', include: ['tests/unit/**/*.test.ts'], exclude: [...configDefaults.exclude, ...ISOLATED], isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
    ],
  },
});
