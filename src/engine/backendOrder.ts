// The tfjs backends the app knows, in fallback order, without importing tfjs: the page (which
// loads no tfjs; tests/unit/engine/pageImports.test.ts) and the engine read the same list.

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** wasm before cpu: XNNPACK's SIMD convs make it as fast at the tiny size and ~1.6× faster at the default (docs/bench.md). */
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
