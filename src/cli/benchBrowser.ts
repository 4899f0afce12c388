// `npm run bench -- --browser`: builds the bench page (src/bench/) with Vite into
// node_modules/.cache/sparsecl-bench-page, serves it on 127.0.0.1 with Vite's preview
// server, and drives it in Debian's Chromium through Playwright's library API with the
// e2e tests' flags (playwright.config.ts). Nothing is downloaded: Chromium is
// $CHROMIUM_PATH or /usr/bin/chromium (scripts/ensure-chromium.mjs installs it).
import { CliError } from './args';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';
import type { BenchRow, BenchState } from '../engine/benchTable';
import type { BenchPageOptions, BenchPageState } from '../bench/main';
import { CHROMIUM_ARGS } from '../../playwright.config';

const ROOT = fileURLToPath(new URL('../bench/', import.meta.url));
const OUT = fileURLToPath(new URL('../../node_modules/.cache/sparsecl-bench-page/', import.meta.url));

export interface BrowserBenchOptions {
  backends: string[];
  presets: string[];
  tiny: boolean;
  states: BenchState[];
  rounds?: number;
  warmup?: number;
  /** Config overrides of every preset (--gate-gradient, --sparse-kernels), as the Node bench takes them. */
  overrides?: unknown;
  onProgress?: (p: BenchPageState['progress']) => void;
  log?: (s: string) => void;
}

export interface BrowserBenchResult {
  rows: BenchRow[];
  errors: { backend: string; message: string }[];
  adapters: Record<string, string>;
  browserVersion: string;
  /** CDG's GPU selections checked against topKGate in the page (webgpu/webgl when benched). */
  gateChecks: BenchPageState['gateChecks'];
  /** The sparse masked conv programs checked against the masked dense conv in the page (webgpu). */
  sparseConvCheck?: BenchPageState['sparseConvCheck'];
}

export function chromiumPath(): string {
  const p = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((x): x is string => !!x && existsSync(x));
  if (!p) throw new CliError('no Chromium found: run `node scripts/ensure-chromium.mjs` (Debian/Ubuntu, as root) or set CHROMIUM_PATH');
  return p;
}

export async function benchInBrowser(o: BrowserBenchOptions): Promise<BrowserBenchResult> {
  const executablePath = chromiumPath();
  o.log?.('building the bench page (vite)…');
  await build({ configFile: false, root: ROOT, base: './', logLevel: 'warn', build: { outDir: OUT, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000 } });
  const server = await preview({ configFile: false, root: ROOT, logLevel: 'warn', build: { outDir: OUT }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server gave no URL');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const browserVersion = `Chromium ${browser.version()}`;
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') o.log?.(`page: ${m.text()}`);
    });
    const opts: BenchPageOptions = {
      backends: o.backends as BenchPageOptions['backends'],
      presets: o.presets,
      tiny: o.tiny,
      states: o.states,
      rounds: o.rounds,
      warmup: o.warmup,
      overrides: o.overrides,
    };
    await page.goto(`${url}?opts=${encodeURIComponent(JSON.stringify(opts))}`);
    for (;;) {
      const s = await page.evaluate(() => window.__bench && { done: window.__bench.done, progress: window.__bench.progress });
      if (s?.progress) o.onProgress?.(s.progress);
      if (s?.done) break;
      await page.waitForTimeout(500);
    }
    const r = (await page.evaluate(() => window.__bench)) as BenchPageState;
    return { rows: r.rows, errors: r.errors, adapters: r.adapters, browserVersion, gateChecks: r.gateChecks ?? [], sparseConvCheck: r.sparseConvCheck };
  } finally {
    await browser.close();
    await new Promise<void>((res) => server.httpServer.close(() => res()));
  }
}
