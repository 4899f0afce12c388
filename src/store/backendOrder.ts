// The page's copy of the engine's backend order: importing it from engine/backend would
// pull tfjs into the page bundle, and only the worker should load tfjs.
import type { BackendName } from '../engine/backend';

export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
