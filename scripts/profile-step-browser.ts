// Where a training step's time goes in Chromium (on WebGL per program kind; tiny size, end
// state): builds src/bench/stepProfile.html, drives it as `npm run bench -- --browser` does,
// prints per preset the step time, program count, time in programs (each followed by
// gl.finish) and in JavaScript between them, and the costliest program kinds.
// Usage: npx tsx scripts/profile-step-browser.ts [preset[:detached] ...]   (default simclr-dense cdg)
// AB=n: the presets interleaved, n rounds, median step times. JSPROF=dir: a V8 CPU profile of
// each preset's steps after warm-up (dir/<preset>.cpuprofile). TFENV=FLAG:value,…: tfjs flags.
// BACKEND=wasm|cpu|webgpu: AB and JSPROF on another of the page's backends (default webgl).
// SIZE=default (AB): the default size. COI=1: the page cross-origin isolated (wasm threads).
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';
import { chromiumPath } from '../src/cli/benchBrowser';
import { CHROMIUM_ARGS } from '../playwright.config';

const ROOT = fileURLToPath(new URL('../src/bench/', import.meta.url));
const OUT = fileURLToPath(new URL('../node_modules/.cache/sparsecl-webgl-profile/', import.meta.url));
const specs = process.argv.slice(2).length ? process.argv.slice(2) : ['simclr-dense', 'cdg'];
const top = Number(process.env.TOP ?? 16);

await build({
  configFile: false, root: ROOT, base: './', logLevel: 'warn',
  build: { outDir: OUT, emptyOutDir: true, target: 'es2022', minify: false, chunkSizeWarningLimit: 8000, rollupOptions: { input: `${ROOT}stepProfile.html` } },
});
const server = await preview({ configFile: false, root: ROOT, logLevel: 'warn', build: { outDir: OUT }, preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false, headers: process.env.COI ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : undefined } });
const url = server.resolvedUrls?.local[0];
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
try {
  // JSPROF=dir: one page a preset, no per-program finish, a V8 CPU profile of it written to dir/<spec>.cpuprofile.
  const jsprof = process.env.JSPROF;
  if (jsprof) {
    mkdirSync(jsprof, { recursive: true });
    for (const spec of specs) {
      const page = await browser.newPage();
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await page.goto(`${url}stepProfile.html?specs=${encodeURIComponent(spec)}&steps=${process.env.STEPS ?? 20}&plain&env=${process.env.TFENV ?? ''}&backend=${process.env.BACKEND ?? 'webgl'}`);
      await page.waitForFunction(() => window.__profile?.warm, undefined, { timeout: 0, polling: 200 });
      await cdp.send('Profiler.start');
      await page.evaluate(() => (window.__profile!.go = true));
      await page.waitForFunction(() => window.__profile?.done, undefined, { timeout: 0, polling: 500 });
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(`${jsprof}/${spec.replace(/[^a-z0-9-]/gi, '_')}.cpuprofile`, JSON.stringify(profile));
      const r = (await page.evaluate(() => window.__profile))!;
      if (r.error) throw new Error(r.error);
      console.log(`${spec}: ${r.rows[0].msPerStep.toFixed(1)} ms a step (not profiled per program)`);
      await page.close();
    }
    process.exit(0);
  }
  const page = await browser.newPage();
  // AB=n: the specs interleaved, n rounds, median ms a step each (no per-program finish).
  if (process.env.AB) {
    await page.goto(`${url}stepProfile.html?specs=${encodeURIComponent(specs.join(','))}&ab=${process.env.AB}&size=${process.env.SIZE ?? 'tiny'}&env=${process.env.TFENV ?? ''}&backend=${process.env.BACKEND ?? 'webgl'}`);
    await page.waitForFunction(() => window.__profile?.done, undefined, { timeout: 0, polling: 500 });
    const r = (await page.evaluate(() => window.__profile))!;
    if (r.error) throw new Error(r.error);
    const base = r.rows[0].msPerStep;
    console.log(`crossOriginIsolated: ${await page.evaluate(() => self.crossOriginIsolated)}, wasm threads: ${await page.evaluate(async () => String(await (window as unknown as { tfEnvThreads?: () => Promise<unknown> }).tfEnvThreads?.().catch(() => 'n/a (no wasm backend here)')))}`);
    for (const row of r.rows) console.log(`${row.spec}: ${row.msPerStep.toFixed(1)} ms a step (median), ${(row.msPerStep / base).toFixed(3)}× the first`);
    process.exit(0);
  }
  await page.goto(`${url}stepProfile.html?specs=${encodeURIComponent(specs.join(','))}&steps=${process.env.STEPS ?? 4}&env=${process.env.TFENV ?? ''}`);
  await page.waitForFunction(() => window.__profile?.done, undefined, { timeout: 0, polling: 500 });
  const r = (await page.evaluate(() => window.__profile))!;
  if (r.error) throw new Error(r.error);
  for (const row of r.rows) {
    console.log(`${row.spec}: ${row.msPerStep.toFixed(0)} ms a step (profiled), ${row.programs.toFixed(0)} programs, in programs ${row.programMs.toFixed(0)} ms, JavaScript between them ${row.jsMs.toFixed(0)} ms`);
    for (const k of row.kinds.slice(0, top)) console.log(`  ${k.key} ${k.n.toFixed(0)}× ${k.ms.toFixed(1)} ms`);
  }
} finally {
  await browser.close();
  await new Promise<void>((res) => server.httpServer.close(() => res()));
}
