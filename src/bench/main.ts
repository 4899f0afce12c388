// The bench page: runs the engine's bench (src/engine/bench.ts) for the page's backends
// in this page's main thread and exposes the rows on window.__bench, for
// `npm run bench -- --browser` (src/cli/benchBrowser.ts), which builds this page with Vite
// and drives it with Playwright. Options come in the URL: ?opts=<JSON of BenchPageOptions>.
import { initBackend, type BackendName } from '../engine/backend';
import { nameWasmAssets } from '../worker/wasmAssets';
import { benchConfig, runBench, textTable, type BenchRow, type BenchState } from '../engine/bench';
import { loadDataset } from '../engine/data';
import { checkGate, type GateCheck } from './gateCheck';
import { checkSparseConv, type SparseConvCheck } from './sparseConvCheck';

export interface BenchPageOptions {
  backends: BackendName[];
  presets: string[];
  tiny: boolean;
  states: BenchState[];
  rounds?: number;
  warmup?: number;
  /** Config overrides of every preset (the CLI's --gate-gradient, --sparse-kernels). */
  overrides?: unknown;
}

export interface BenchPageState {
  done: boolean;
  rows: BenchRow[];
  errors: { backend: string; message: string }[];
  adapters: Record<string, string>;
  /** CDG's GPU selection programs against the host reference, on this page's webgpu/webgl. */
  gateChecks: GateCheck[];
  /** SyncCP's sparse conv programs against the masked dense conv, on this page's webgpu. */
  sparseConvCheck?: SparseConvCheck;
  /** The state being timed now: steps done of its total (all presets, warm-up included). */
  progress: { backend: string; state: string; preset: string; done: number; total: number };
}

declare global {
  interface Window {
    __bench?: BenchPageState;
  }
}

const out = document.getElementById('out')!;
const state: BenchPageState = { done: false, rows: [], errors: [], adapters: {}, gateChecks: [], progress: { backend: '', state: '', preset: '', done: 0, total: 0 } };
window.__bench = state;

async function main(): Promise<void> {
  const raw = new URLSearchParams(location.search).get('opts');
  const opts: BenchPageOptions = raw ? JSON.parse(raw) : { backends: ['webgpu', 'webgl', 'wasm', 'cpu'], presets: ['simclr-dense', 'cdg'], tiny: true, states: ['end'] };
  nameWasmAssets();
  const probe = benchConfig(opts.presets[0], opts.tiny);
  const dataset = await loadDataset('shapes', { seed: probe.seed, trainCount: probe.data.trainCount, testCount: probe.data.testCount });
  for (const backend of opts.backends) {
    try {
      const report = await initBackend([backend]);
      state.adapters[backend] = `${report.adapter}${report.softwareAdapter ? ' (software adapter)' : ''}`;
      if (backend === 'webgpu' || backend === 'webgl') {
        const check = await checkGate();
        state.gateChecks.push(check);
        for (const m of check.mismatches) state.errors.push({ backend, message: `CDG gate selection differs from topKGate: ${m}` });
      }
      if (backend === 'webgpu') {
        state.sparseConvCheck = await checkSparseConv();
        for (const m of state.sparseConvCheck.mismatches) state.errors.push({ backend, message: `sparse masked conv differs from the masked dense conv: ${m}` });
      }
      out.textContent = `running ${backend} (${state.adapters[backend]})…`;
      const rows = await runBench({
        presets: opts.presets,
        tiny: opts.tiny,
        states: opts.states,
        rounds: opts.rounds,
        warmup: opts.warmup,
        overrides: opts.overrides,
        dataset,
        onProgress: (p) => {
          state.progress = { backend, state: p.state, preset: p.preset, done: p.done, total: p.total };
        },
      });
      state.rows.push(...rows);
      out.textContent = textTable(state.rows);
    } catch (e) {
      state.errors.push({ backend, message: (e as Error).message });
    }
  }
}

main()
  .catch((e) => state.errors.push({ backend: '', message: (e as Error).stack ?? String(e) }))
  .finally(() => {
    state.done = true;
  });
