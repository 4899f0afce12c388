// Picks and initialises a tfjs backend in order webgpu → webgl → wasm → cpu and reports what
// actually runs: tf.setBackend can fail quietly and tfjs then carries on with another,
// so the report is always read back from tf.getBackend(), never assumed.
import * as tf from '@tensorflow/tfjs';
import { setSoftwareAdapterWorkgroups } from './kernels/webgpuGatedConv';
import { registerWebGPUSmallMatMul } from './kernels/webgpuSmallMatMul';
import type { BackendTiming } from './backendChoice';
import { registerFastCpuKernels } from './kernels/cpuConv2DBackpropFilter';
import { installArrayPool } from './kernels/cpuArrayPool';
import { initWasmBackend } from './kernels/wasmKernels';
import { BACKEND_ORDER, type BackendName } from './backendOrder';
import { LimitExceeded, withinLimit } from './withinLimit';
import { isSoftwareRenderer } from './softwareRenderer';

export { BACKEND_ORDER, type BackendName };

export interface BackendReport {
  /** The backend tfjs really uses. */
  backend: BackendName;
  /** Human-readable adapter: GPU vendor/architecture, or "JavaScript (cpu)". */
  adapter: string;
  /** True when the WebGPU adapter is a software fallback (SwiftShader), or WebGL renders in software. */
  softwareAdapter: boolean;
  /** The first choice that was asked for. */
  requested: BackendName;
  /** Why earlier choices were skipped, in order; empty when the first choice runs. */
  fallbacks: { backend: BackendName; reason: string }[];
  /** Set when the backend was chosen by measurement (see backendChoice.ts) rather than named. */
  /** ms: wall time of the whole choice (measuring every candidate and starting the chosen one). */
  /** `changed`: kept timings marked on this load (a kept winner that did not start): stored again, though not measured now. */
  calibration?: { timings: BackendTiming[]; cached: boolean; changed?: boolean; at: string; device: string; workload?: string; ms?: number };
}

interface GpuLike {
  requestAdapter(opts?: unknown): Promise<{
    info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
    isFallbackAdapter?: boolean;
  } | null>;
}

function navigatorGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu;
}

/** The WebGPU adapter's description without initialising tfjs ("" when there is none): part of a device key. */
export async function webgpuAdapterLabel(): Promise<string> {
  try {
    const a = await navigatorGpu()?.requestAdapter({ powerPreference: 'high-performance' });
    const info = a?.info ?? {};
    return a ? [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ').trim() || 'unknown WebGPU adapter' : '';
  } catch {
    return '';
  }
}

/**
 * Bumped when a start is given up on (a time limit passed): a start still on its way, whose
 * adapter or files come late, must not switch tfjs's backend under the run that is
 * training on another one by then.
 */
let startEpoch = 0;
/** Backends whose start was given up on while tfjs still waited for it: removed from tfjs for this page. */
const removed = new Set<BackendName>();

/** True when a start of `name` was given up on in this worker and tfjs holds it no more (a backend registered again is tried again). */
export function wasGivenUp(name: BackendName): boolean {
  return removed.has(name) && !tf.findBackendFactory(name);
}

/**
 * Give up on the start of `name`. tfjs keeps an async start (WebGPU's device, wasm's
 * binaries) as its engine's pending start: tf.ready() waits for it and tf.backend() throws
 * while it is pending, and a backend that starts synchronously (cpu, webgl) does not replace
 * it, so a start that never answers would hang every later one. Removing the backend from
 * tfjs makes that start outdated; the backend cannot be started again in this worker (its
 * registration goes with it): the page's next worker (a reload, a backend switch) retries.
 */
export function giveUpStart(name: BackendName): void {
  startEpoch++;
  // The registry, not tf.findBackend: that would run the backend's factory again (a second device, a second wasm module).
  if (tf.getBackend() === name && tf.findBackendFactory(name) && tf.engine().registry[name] === undefined) {
    tf.removeBackend(name);
    removed.add(name);
  }
}
const GIVEN_UP = 'given up: its start took longer than its limit';
/** The backend the last start that was not given up on left running. */
let running: BackendName | undefined;

/**
 * After a start given up on has finished anyway: tfjs fetches wasm's binaries and WebGPU's
 * device inside setBackend, and, finishing late, set its backend instance under the name
 * of the one running since. The running one is set again.
 */
async function givenUp(): Promise<never> {
  if (running) await tf.setBackend(running);
  throw new Error(`no tfjs backend could start: ${GIVEN_UP}`);
}

async function tryWebGPU(wanted: () => boolean): Promise<{ ok: true; adapter: string; software: boolean } | { ok: false; reason: string }> {
  const gpu = navigatorGpu();
  if (!gpu) {
    // Browsers give WebGPU to secure pages only: a build served over plain http from another
    // machine (a classroom's LAN address) has none, whatever the browser.
    const insecure = (globalThis as { isSecureContext?: boolean }).isSecureContext === false;
    return { ok: false, reason: insecure ? 'WebGPU is not available here: it needs a secure page (https, or localhost), and this one is served over plain http' : 'WebGPU is not available here (navigator.gpu is missing)' };
  }
  let adapter;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: `WebGPU adapter request failed: ${(e as Error).message}` };
  }
  if (!adapter) return { ok: false, reason: 'WebGPU is present but no adapter was granted (blocklisted GPU or disabled)' };
  const info = adapter.info ?? {};
  // Dawn marks SwiftShader as a fallback adapter; WARP (D3D12's) may come unmarked and is known by its description.
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || info.architecture === 'swiftshader' || isSoftwareRenderer(info.description ?? '');
  const label = [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ').trim();
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!wanted()) return { ok: false, reason: GIVEN_UP };
    const set = await tf.setBackend('webgpu');
    await tf.ready();
    if (!set || tf.getBackend() !== 'webgpu') return { ok: false, reason: 'tfjs could not initialise its WebGPU backend' };
    if (software) registerWebGPUSmallMatMul();
    setSoftwareAdapterWorkgroups(software);
  } catch (e) {
    return { ok: false, reason: `tfjs WebGPU backend failed: ${(e as Error).message}` };
  }
  return { ok: true, adapter: label || 'unknown WebGPU adapter', software };
}

async function trySimple(name: 'webgl' | 'cpu'): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  try {
    const set = await tf.setBackend(name);
    await tf.ready();
    if (!set || tf.getBackend() !== name) return { ok: false, reason: `tfjs could not initialise ${name}` };
  } catch (e) {
    return { ok: false, reason: `${name} failed: ${(e as Error).message}` };
  }
  if (name === 'cpu') {
    registerFastCpuKernels();
    installArrayPool(tf.backend());
    return { ok: true, adapter: 'JavaScript (cpu)' };
  }
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  let label = 'WebGL';
  try {
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    if (gl && ext) label = `WebGL ${gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)}`;
  } catch {
    /* renderer string is cosmetic */
  }
  return { ok: true, adapter: label };
}

/**
 * Initialise the first backend of `order` that works. In Node, webgpu needs
 * navigator.gpu installed first (see src/cli/nodeWebgpu.ts).
 */
export async function initBackend(order: BackendName[] = BACKEND_ORDER, opts: { startMs?: number } = {}): Promise<BackendReport> {
  if (order.length === 0) throw new Error('initBackend: empty backend order');
  const fallbacks: BackendReport['fallbacks'] = [];
  for (const name of order) {
    if (wasGivenUp(name)) {
      fallbacks.push({ backend: name, reason: 'its start was given up on earlier (it passed its time limit); a reload or another backend choice tries it again' });
      continue;
    }
    // Each start has its own epoch: one given up on here (its limit) or by the caller (its
    // own limit around this call) switches nothing when it finishes late.
    const epoch = startEpoch;
    const wanted = () => epoch === startEpoch;
    let r: { ok: true; adapter: string; software?: boolean } | { ok: false; reason: string };
    try {
      const start = name === 'webgpu' ? tryWebGPU(wanted) : name === 'wasm' ? initWasmBackend(wanted) : trySimple(name);
      r = opts.startMs === undefined ? await start : await withinLimit(start, opts.startMs, `starting ${name}`);
    } catch (e) {
      if (!(e instanceof LimitExceeded)) throw e;
      giveUpStart(name);
      fallbacks.push({ backend: name, reason: e.message });
      continue;
    }
    if (!wanted()) return givenUp();
    if (r.ok) {
      // WebGL names its renderer: SwiftShader, llvmpipe, WARP and the like are the GPU emulated on the CPU.
      const software = name === 'webgpu' ? Boolean(r.software) : name === 'webgl' && isSoftwareRenderer(r.adapter);
      return started({ backend: name, adapter: r.adapter, softwareAdapter: software, requested: order[0], fallbacks });
    }
    fallbacks.push({ backend: name, reason: r.reason });
  }
  throw new Error(`no tfjs backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

function started(r: BackendReport): BackendReport {
  running = r.backend;
  return r;
}

/** One line for a badge or a log: "webgpu on swiftshader (software)", with the fallback reason. */
export function describeBackend(r: BackendReport): string {
  const base = `${r.backend} on ${r.adapter}${r.softwareAdapter ? ' (software adapter)' : ''}`;
  if (r.fallbacks.length === 0) return base;
  return `${base} — fell back from ${r.fallbacks.map((f) => `${f.backend} (${f.reason})`).join(', ')}`;
}
