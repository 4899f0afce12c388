// The page's copy of the engine's backend order: importing it from engine/backend would
// pull tfjs into the page bundle, and only the worker loads tfjs (the page imports engine
// modules without tfjs only: tests/unit/engine/pageImports.test.ts walks its imports).
import type { BackendName } from '../engine/backend';

export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
