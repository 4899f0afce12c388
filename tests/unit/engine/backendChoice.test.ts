// Backend choice by measurement: the ranking rules on hand-made timings, a real
// measurement on the cpu backend (no leak, finite times), a backend that cannot start is
// reported with its reason, a cached calibration is reused only on the same device, and
// initBackend falls back from a WebGPU that grants no adapter; a WebGPU that never answers
// costs its hard limit and a reason, never the choice.
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { describeSpeedup, speedupOverSlowest } from '../../../src/engine/calibrationSpeedup';
import { calibrationOf, chooseBackend, currentDevice, DEFAULT_WORKLOAD, describeCalibration, deviceKey, failedTwiceIsFinal, fastest, isProvisional, measureBackends, median, orderByTiming, reusableTimings, withinLimit, workloadKey, type BackendTiming } from '../../../src/engine/backendChoice';

const T = (backend: BackendTiming['backend'], ms: number | null, software = false): BackendTiming => ({ backend, adapter: backend, software, ms, warmupMs: ms, reason: ms === null ? 'not here' : undefined });

afterEach(async () => {
  delete (globalThis as { navigator?: unknown }).navigator;
  await tf.setBackend('cpu');
});

describe('WebGPU on a page that is not secure', () => {
  it('says that WebGPU needs https or localhost (a build served over plain http on a LAN address has no navigator.gpu)', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    vi.stubGlobal('isSecureContext', false);
    try {
      const r = await initBackend(['webgpu', 'cpu']);
      expect(r.backend).toBe('cpu');
      expect(r.fallbacks[0].reason).toMatch(/WebGPU is not available here: it needs a secure page \(https, or localhost\), and this one is served over plain http/);
    } finally {
      vi.unstubAllGlobals();
    }
    // A secure page without it: the plain reason.
    const secure = await initBackend(['webgpu', 'cpu']);
    expect(secure.fallbacks[0].reason).toBe('WebGPU is not available here (navigator.gpu is missing)');
  });
});

describe('backend choice', () => {
  it('picks the fastest measured backend and orders the rest as fallbacks, unmeasurable last', () => {
    const timings = [T('webgpu', 1236, true), T('webgl', 344), T('cpu', 47)];
    expect(fastest(timings)).toBe('cpu');
    expect(orderByTiming(timings)).toEqual(['cpu', 'webgl', 'webgpu']);
    expect(orderByTiming([T('webgpu', null), T('cpu', 5), T('webgl', 3)])).toEqual(['webgl', 'cpu', 'webgpu']);
    // Ties go to the earlier candidate (WebGPU first in the app's order).
    expect(fastest([T('webgpu', 10), T('cpu', 10)])).toBe('webgpu');
    expect(() => fastest([T('webgpu', null), T('webgl', null)])).toThrow(/webgpu: not here; webgl: not here/);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('a figure timed on the lighter two-conv workload (a software WebGL) does not win over one timed on the encoder, only when nothing else was measured', () => {
    const lighterWebgl = { ...T('webgl', 5, true), lighter: true };
    expect(fastest([T('webgpu', null), lighterWebgl, T('cpu', 40)])).toBe('cpu');
    expect(orderByTiming([T('webgpu', null), lighterWebgl, T('cpu', 40)])).toEqual(['cpu', 'webgl', 'webgpu']);
    expect(fastest([T('webgpu', null), lighterWebgl])).toBe('webgl');
  });

  it('says what was measured and how much faster the choice is (1236 / 47 ≈ 26×)', () => {
    const line = describeCalibration({ timings: [T('webgpu', 1236, true), T('webgl', 344), T('cpu', 47)], chosen: 'cpu' });
    expect(line).toBe('webgpu (software adapter) 1.2 s, webgl 344 ms, cpu 47 ms — using cpu (26× faster than the slowest, webgpu)');
  });

  it('against a backend cut off at the deadline the speed-up is a lower bound (CI: webgl over 1.5 s, wasm 23 ms → at least 65×)', () => {
    const cut = (backend: BackendTiming['backend'], overMs: number): BackendTiming => ({ ...T(backend, null, true), overMs, reason: 'cut off' });
    const timings = [cut('webgpu', 806), cut('webgl', 1500), T('wasm', 23), T('cpu', 39)];
    // 1500 / 23 = 65.2: webgl, not cpu (39 / 23 = 1.7), is the slowest.
    expect(speedupOverSlowest({ timings, chosen: 'wasm' })).toEqual({ factor: 1500 / 23, slowest: 'webgl', atLeast: 'cut off' });
    expect(describeCalibration({ timings, chosen: 'wasm' })).toMatch(/— using wasm \(at least 65× faster than webgl, which was cut off\)$/);
    // Within 1.5× of the slowest: nothing is claimed.
    expect(speedupOverSlowest({ timings: [T('wasm', 23), T('cpu', 30)], chosen: 'wasm' })).toBeUndefined();
    // A software WebGL timed on the lighter two-conv workload: its encoder time is at least its
    // figure, so the speed-up over it is a lower bound too (600 / 20 = 30), and the line says so.
    const lighter = [{ ...T('webgl', 600, true), lighter: true }, T('wasm', 20), T('cpu', 25)];
    expect(speedupOverSlowest({ timings: lighter, chosen: 'wasm' })).toEqual({ factor: 30, slowest: 'webgl', atLeast: 'lighter' });
    expect(describeCalibration({ timings: lighter, chosen: 'wasm' })).toBe(
      'webgl (software adapter) 600 ms (two convolutions and a dense layer, lighter than the encoder, to fit the time budget: a lower bound), wasm 20 ms, cpu 25 ms — using wasm (at least 30× faster than webgl, timed on a lighter workload)',
    );
    // Factors under 10× keep a decimal, and a lower bound is rounded down, never up.
    expect(describeSpeedup({ factor: 1.69, slowest: 'webgl', atLeast: 'cut off' })).toBe('at least 1.6× faster than webgl, which was cut off');
    expect(describeSpeedup({ factor: 2.5, slowest: 'webgl', atLeast: 'cut off' })).toBe('at least 2.5× faster than webgl, which was cut off');
    expect(describeSpeedup({ factor: 64.6, slowest: 'webgpu', atLeast: 'lighter' })).toBe('at least 64× faster than webgpu, timed on a lighter workload');
    expect(describeSpeedup({ factor: 1.51, slowest: 'cpu' })).toBe('1.5× faster than the slowest, cpu');
    expect(describeSpeedup({ factor: 2, slowest: 'cpu' })).toBe('2× faster than the slowest, cpu');
    expect(describeSpeedup({ factor: 26.3, slowest: 'webgpu' })).toBe('26× faster than the slowest, webgpu');
    // A timing set aside (no figure now) is not the slowest.
    expect(speedupOverSlowest({ timings: [{ ...T('webgpu', null), setAside: true }, T('wasm', 20), T('cpu', 40)], chosen: 'wasm' })).toEqual({ factor: 2, slowest: 'cpu' });
  });

  it('measures the cpu backend with finite times and no leaked tensor; a backend that cannot start says why', async () => {
    const before = tf.memory().numTensors;
    const shape = { batch: 4, size: 8, channels: 3, width: 4, hidden: 8 };
    const timings = await measureBackends(['webgl', 'cpu'], shape, 400);
    expect(tf.memory().numTensors).toBe(before);
    const cpu = timings.find((t) => t.backend === 'cpu')!;
    expect(cpu.ms).toBeGreaterThan(0);
    expect(Number.isFinite(cpu.ms)).toBe(true);
    expect(cpu.warmupMs).toBeGreaterThan(0);
    // Node has no WebGL: reported, not thrown.
    const webgl = timings.find((t) => t.backend === 'webgl')!;
    expect(webgl.ms).toBeNull();
    expect(webgl.reason).toBeTruthy();
  });

  // A page under CI load chose wasm at 111 ms over cpu at 156 ms (each 5–9× its quiet figure):
  // timed one after the other, a burst during one's share decided.
  it('two host backends: after half their share each, their repetitions alternate, and each figure is the median of all of its own', async () => {
    const { initWasmBackend } = await import('../../../src/engine/kernels/wasmKernels');
    expect(await initWasmBackend()).toMatchObject({ ok: true });
    const shape = { batch: 4, size: 8, channels: 3, width: 4, hidden: 8 };
    const switched: string[] = [];
    const engine = tf.engine();
    const set = engine.setBackend.bind(engine);
    const spy = vi.spyOn(engine, 'setBackend').mockImplementation(async (name: string) => {
      switched.push(name);
      return set(name);
    });
    const before = tf.memory().numTensors;
    let timings;
    try {
      timings = await measureBackends(['wasm', 'cpu'], shape, 1500);
    } finally {
      spy.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(before);
    for (const t of timings) expect(Number.isFinite(t.ms), t.backend).toBe(true);
    // Each started once (wasm, then cpu), then the alternating round: wasm, cpu, wasm, cpu, …
    const round = switched.slice(2);
    expect(switched.slice(0, 2), switched.join(',')).toEqual(['wasm', 'cpu']);
    expect(round.length, switched.join(',')).toBeGreaterThanOrEqual(4);
    round.forEach((b, i) => expect(b, switched.join(',')).toBe(i % 2 ? 'cpu' : 'wasm'));
  }, 30_000);

  it('a read that fails while timing (a device lost) is that backend’s reason, not a leak that stops the choice', async () => {
    const before = tf.memory().numTensors;
    const shape = { batch: 4, size: 8, channels: 3, width: 4, hidden: 8 };
    const spy = vi.spyOn(tf.Tensor.prototype, 'data').mockRejectedValueOnce(new Error('device lost'));
    try {
      const [cpu] = await measureBackends(['cpu'], shape, 400);
      expect(cpu.ms).toBeNull();
      expect(cpu.reason).toMatch(/the workload failed: device lost/);
    } finally {
      spy.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a host backend whose run comes back past the measure limit is timed by that run, not run again', async () => {
    // A workload of tens of ms against a 1 ms limit: the cpu's synchronous warm-up comes back
    // past it (a sub-millisecond one, batch 4 at 8 px, came back within it once in CI).
    const shape = { batch: 32, size: 32, channels: 3, width: 16, hidden: 32 };
    const reads = vi.spyOn(tf.Tensor.prototype, 'data');
    try {
      const [cpu] = await measureBackends(['cpu'], shape, 3000, { startMs: 60_000, measureMs: 1, adapterMs: 200 });
      expect(cpu.ms).not.toBeNull();
      expect(cpu.ms).toBe(cpu.warmupMs);
      // One workload read: before, a warm-up and at least one timed run more (a wide model: two runs past every limit).
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('a cached calibration is reused on the same device and ignored on another', async () => {
    const device = await currentDevice();
    const cached = { device, workload: workloadKey(DEFAULT_WORKLOAD), timings: [T('cpu', 1.5)], chosen: 'cpu' as const, at: '2026-01-01T00:00:00Z' };
    const reused = await chooseBackend(['cpu'], { cached });
    expect(reused.backend).toBe('cpu');
    expect(reused.calibration).toMatchObject({ cached: true, at: cached.at, timings: cached.timings });
    const other = await chooseBackend(['cpu'], { cached: { ...cached, device: 'another machine' }, shape: { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 }, budgetMs: 200 });
    expect(other.calibration?.cached).toBe(false);
    expect(other.calibration?.timings[0].ms).not.toBe(1.5);
  });

  // From a backend hunt: a kept winner that failed to start fell back, but the kept figures were
  // not touched (cached: true, so the page never saved anew): every load waited on it again.
  it('a kept winner that does not start on this load falls back, and is marked so the next load measures again', async () => {
    const device = await currentDevice();
    const cached = { device, workload: workloadKey(DEFAULT_WORKLOAD), timings: [T('webgl', 1.0), T('cpu', 1.5)], chosen: 'webgl' as const, at: '2026-01-01T00:00:00Z' };
    const r = await chooseBackend(['webgl', 'cpu'], { cached });
    expect(r.backend).toBe('cpu');
    expect(r.fallbacks.map((f) => f.backend)).toEqual(['webgl']);
    // Still the kept figures (said as measured earlier, at their date), stored again with the mark.
    expect(r.calibration).toMatchObject({ cached: true, changed: true, at: cached.at });
    const webgl = r.calibration!.timings.find((t) => t.backend === 'webgl')!;
    expect(webgl).toMatchObject({ ms: null, transientFailure: true });
    expect(webgl.reason).toMatch(/^measured on an earlier load, but did not start on this one: /);
    expect(isProvisional(webgl)).toBe(true);
    expect(r.calibration!.timings.find((t) => t.backend === 'cpu')!.ms).toBe(1.5);
  });

  it('a cached calibration is reused for the same model only: another depth or width, or none recorded, is measured again', async () => {
    const { calibrationShape } = await import('../../../src/engine/backendChoice');
    const { buildConfig } = await import('../../../src/engine/config');
    const device = await currentDevice();
    const tiny = calibrationShape(buildConfig({ tiny: true }));
    const cached = { device, workload: workloadKey(tiny), timings: [T('cpu', 1.5)], chosen: 'cpu' as const, at: '2026-01-01T00:00:00Z' };
    // The same config built again: the same workload.
    const same = await chooseBackend(['cpu'], { cached, shape: calibrationShape(buildConfig({ tiny: true })) });
    expect(same.calibration).toMatchObject({ cached: true, workload: cached.workload });
    const small = { batch: 4, size: 8, channels: 3, width: 2, hidden: 4 };
    for (const model of [{ widths: [2, 4], blocks: 2 }, { widths: [2, 6], blocks: 1 }]) {
      const shape = { ...small, model: { ...tiny.model!, ...model } };
      const r = await chooseBackend(['cpu'], { cached: { ...cached, workload: workloadKey({ ...small, model: { ...tiny.model!, widths: [2, 4], blocks: 1 } }) }, shape, budgetMs: 300 });
      expect(r.calibration?.cached, JSON.stringify(model)).toBe(false);
      expect(r.calibration?.workload).toBe(workloadKey(shape));
    }
    // A calibration saved without a workload (before it was recorded) is measured again.
    const { workload: _w, ...unkeyed } = cached;
    expect((await chooseBackend(['cpu'], { cached: unkeyed, shape: small, budgetMs: 300 })).calibration?.cached).toBe(false);
  });

  it('an adapter that answers late on this load: the same browser and cores reuse the cached timings, except WebGPU’s', () => {
    const ua = 'Mozilla/5.0 HeadlessChrome';
    const measured = deviceKey(ua, 2, ['google swiftshader']);
    const cached = { device: measured, timings: [T('webgpu', 9, true), T('webgl', 300), T('cpu', 40)], chosen: 'webgpu' as const, at: '2026-01-01T00:00:00Z' };
    expect(reusableTimings(cached, measured)).toEqual(cached.timings);
    const late = reusableTimings(cached, deviceKey(ua, 2, ['WebGPU adapter not answering']));
    expect(late.map((t) => [t.backend, t.ms])).toEqual([['webgpu', null], ['webgl', 300], ['cpu', 40]]);
    expect(late[0].reason).toMatch(/did not answer.*measured earlier: 9\.0 ms/);
    expect(late.map((t) => Boolean(t.setAside))).toEqual([true, false, false]);
    expect(fastest(late)).toBe('cpu');
    // Another adapter, another browser or other cores: nothing is reused; nor from a corrupt key.
    expect(reusableTimings(cached, deviceKey(ua, 2, ['nvidia ampere']))).toEqual([]);
    expect(reusableTimings(cached, deviceKey('Firefox', 2, ['WebGPU adapter not answering']))).toEqual([]);
    expect(reusableTimings(cached, deviceKey(ua, 8, ['WebGPU adapter not answering']))).toEqual([]);
    expect(reusableTimings({ ...cached, device: 'not json' }, deviceKey(ua, 2, ['WebGPU adapter not answering']))).toEqual([]);
    // A calibration saved on a late-answering load, reused on another such load: WebGPU is set
    // aside too (it used to be reused and started, waiting out its start limit every load).
    const lateKey = deviceKey(ua, 2, ['WebGPU adapter not answering']);
    const again = reusableTimings({ ...cached, device: lateKey }, lateKey);
    expect(again.map((t) => [t.backend, t.ms, Boolean(t.setAside)])).toEqual([['webgpu', null, true], ['webgl', 300, false], ['cpu', 40, false]]);
  });

  it('a WebGPU whose adapter request never answers: cut at the start limit with a reason, the choice still comes', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: () => new Promise(() => {}) } }, configurable: true, writable: true });
    const limits = { startMs: 300, measureMs: 5000, adapterMs: 200 };
    const before = tf.memory().numTensors;
    const t0 = Date.now();
    const r = await chooseBackend(['webgpu', 'cpu'], { shape: { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 }, budgetMs: 300, limits });
    const wall = Date.now() - t0;
    expect(r.backend).toBe('cpu');
    const webgpu = r.calibration!.timings.find((t) => t.backend === 'webgpu')!;
    expect(webgpu.ms).toBeNull();
    expect(webgpu.reason).toMatch(/starting webgpu did not finish within 300 ms/);
    expect(r.calibration!.device).toMatch(/not answering/);
    // adapter label 200 ms + start 300 ms + cpu's share of the 300 ms budget, with slack for a loaded machine.
    expect(wall).toBeLessThan(5000);
    expect(tf.memory().numTensors).toBe(before);
    // The next load, whose adapter hangs again, reuses what this one saved: WebGPU set aside,
    // not started (it used to count as cut off, so every such load measured and waited again).
    const next = await chooseBackend(['webgpu', 'cpu'], { cached: calibrationOf(r), shape: { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 }, budgetMs: 300, limits: { ...limits, startMs: 5000 } });
    expect(next.backend).toBe('cpu');
    expect(next.calibration).toMatchObject({ cached: true });
    expect(next.calibration!.timings.find((t) => t.backend === 'webgpu')).toMatchObject({ ms: null, setAside: true });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a WebGPU adapter that answers after its start was given up on: tfjs is never switched to WebGPU under the chosen backend', async () => {
    // Answers 400 ms late with an adapter: the start goes on in the background (withinLimit
    // leaves it to settle) and, before it was given up on, went on to tf.setBackend('webgpu').
    const adapter = { info: { vendor: 'late', architecture: 'test' }, requestDevice: async () => { throw new Error('no device here'); } };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: () => new Promise((r) => setTimeout(() => r(adapter), 400)) } }, configurable: true, writable: true });
    const setBackend = vi.spyOn(tf.engine(), 'setBackend');
    try {
      const r = await chooseBackend(['webgpu', 'cpu'], { shape: { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 }, budgetMs: 300, limits: { startMs: 150, measureMs: 5000, adapterMs: 100 } });
      expect(r.backend).toBe('cpu');
      await new Promise((res) => setTimeout(res, 800));
      expect(setBackend.mock.calls.map((c) => c[0])).not.toContain('webgpu');
      expect(tf.getBackend()).toBe('cpu');
      // The instance that runs ops is the cpu's too (a late init sets it under the running name).
      expect(tf.backend()).toBe(tf.findBackend('cpu'));
    } finally {
      setBackend.mockRestore();
    }
  });

  it('a cached calibration whose WebGPU adapter does not answer on this load: reused, WebGPU not started, cpu runs', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: () => new Promise(() => {}) } }, configurable: true, writable: true });
    const device = deviceKey(`node ${process.version} ${process.platform}`, 0, ['google swiftshader']);
    const cached = { device, workload: workloadKey(DEFAULT_WORKLOAD), timings: [T('webgpu', 1, true), T('cpu', 2)], chosen: 'webgpu' as const, at: '2026-01-01T00:00:00Z' };
    const t0 = Date.now();
    const r = await chooseBackend(['webgpu', 'cpu'], { cached, limits: { startMs: 60_000, measureMs: 60_000, adapterMs: 200 } });
    expect(r.backend).toBe('cpu');
    expect(r.calibration).toMatchObject({ cached: true, at: cached.at });
    expect(r.calibration!.timings.map((t) => t.ms)).toEqual([null, 2]);
    // Starting WebGPU would wait on the same adapter for its 60 s limit: it is not tried.
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a cached calibration is measured again where it holds no verdict (a start cut off, a hardware GPU cut off); a software adapter cut off by the budget is a verdict', async () => {
    const device = deviceKey(`node ${process.version} ${process.platform}`, 0, ['']);
    const shape = { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 };
    const cachedWith = (webgpu: Partial<BackendTiming>) => ({ device, workload: workloadKey(shape), timings: [{ ...T('webgpu', null), ...webgpu }, T('cpu', 2)], chosen: 'cpu' as const, at: '2026-01-01T00:00:00Z' });
    const choose = (webgpu: Partial<BackendTiming>) => chooseBackend(['webgpu', 'cpu'], { cached: cachedWith(webgpu), shape, budgetMs: 300 });
    expect((await choose({ startTimedOut: true })).calibration!.cached).toBe(false);
    expect((await choose({ overMs: 15_000, software: false })).calibration!.cached).toBe(false);
    expect((await choose({ overMs: 2000, software: true })).calibration!.cached).toBe(true);
    // A host backend past the measure limit (a wide model on cpu) is a verdict: kept, not re-measured on every load.
    const hostCut = { device, workload: workloadKey(shape), timings: [{ ...T('wasm', null), overMs: 15_000 }, T('cpu', 5)], chosen: 'cpu' as const, at: '2026-01-01T00:00:00Z' };
    const kept = await chooseBackend(['wasm', 'cpu'], { cached: hostCut, shape, budgetMs: 300 });
    expect(kept.backend).toBe('cpu');
    expect(kept.calibration!.cached).toBe(true);
    // A backend that cannot start here at all (no navigator.gpu) is a verdict too.
    expect((await choose({ reason: 'WebGPU is not available here' })).calibration!.cached).toBe(true);
  });

  it('a GPU that failed in passing (device lost mid-workload, an exception while starting) is measured again on the next load; one absent here is not', async () => {
    const device = deviceKey(`node ${process.version} ${process.platform}`, 0, ['']);
    const shape = { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 };
    const cached = { device, workload: workloadKey(shape), timings: [{ ...T('webgpu', null), reason: 'the workload failed: GPU device was lost', transientFailure: true }, T('cpu', 2)], chosen: 'cpu' as const, at: '2026-01-01T00:00:00Z' };
    // Before, a device lost once kept WebGPU out on this device until "Measure again".
    expect((await chooseBackend(['webgpu', 'cpu'], { cached, shape, budgetMs: 300 })).calibration!.cached).toBe(false);
    // measureBackends flags an exception while starting, not an absence.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: () => Promise.reject(new Error('GPU process restarting')) } }, configurable: true, writable: true });
    const [failed] = await measureBackends(['webgpu', 'cpu'], shape, 300);
    expect(failed).toMatchObject({ backend: 'webgpu', ms: null, transientFailure: true });
    expect(failed.reason).toMatch(/GPU process restarting/);
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    const [absent] = await measureBackends(['webgpu', 'cpu'], shape, 300);
    expect(absent.reason).toMatch(/not available here/);
    expect(absent.transientFailure).toBeUndefined();
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
    const [noAdapter] = await measureBackends(['webgpu', 'cpu'], shape, 300);
    expect(noAdapter.reason).toMatch(/no adapter was granted/);
    expect(noAdapter.transientFailure).toBeUndefined();
    // Failing in passing twice (this load and the cached one) is a verdict: the next load reuses it.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: () => Promise.reject(new Error('GPU process restarting')) } }, configurable: true, writable: true });
    const again = await chooseBackend(['webgpu', 'cpu'], { cached, shape, budgetMs: 300 });
    const webgpu = again.calibration!.timings.find((t) => t.backend === 'webgpu')!;
    expect(again.calibration!.cached).toBe(false);
    expect(webgpu.transientFailure).toBeUndefined();
    expect(webgpu.reason).toMatch(/as on the last load/);
    const third = await chooseBackend(['webgpu', 'cpu'], { cached: { ...cached, timings: again.calibration!.timings }, shape, budgetMs: 300 });
    expect(third.calibration!.cached).toBe(true);
  });

  // From a review: a start that passed its limit on two loads in a row (a GPU process that
  // stays wedged) was measured again on every load, each waiting on that start.
  it('a start that timed out on the last load and again now is kept as a verdict; once, it is not', () => {
    const timedOut = (b: BackendTiming['backend']): BackendTiming => ({ ...T(b, null), reason: 'starting webgpu did not finish within 8 s', startTimedOut: true });
    const [twice] = failedTwiceIsFinal([timedOut('webgpu')], [timedOut('webgpu')]);
    expect(twice.startTimedOut).toBeUndefined();
    expect(twice.reason).toMatch(/as on the last load: kept as a verdict until Measure again/);
    expect(isProvisional(twice)).toBe(false);
    const [once] = failedTwiceIsFinal([timedOut('webgpu')], [T('webgpu', 40)]);
    expect(isProvisional(once)).toBe(true);
  });

  it('a hardware GPU cut off by the measure limit on two loads in a row is kept as a verdict, not measured (15 s) on every load', async () => {
    const cut = (backend: BackendTiming['backend'], software = false): BackendTiming => ({ ...T(backend, null, software), reason: undefined, overMs: 15_000 });
    // Cut off once: provisional (a first shader compilation on a busy load says nothing final).
    expect(isProvisional(cut('webgpu'))).toBe(true);
    expect(isProvisional(cut('webgl'))).toBe(true);
    // Cut off again on the next load: final, for each GPU that was cut off both times.
    const now = failedTwiceIsFinal([cut('webgpu'), cut('webgl'), T('cpu', 5)], [cut('webgpu'), T('webgl', 40), T('cpu', 5)]);
    expect(now.map((t) => t.cutOffTwice === true)).toEqual([true, false, false]);
    expect(now.map(isProvisional)).toEqual([false, true, false]);
    // A software adapter's cut-off was final already; a host backend's too.
    expect(isProvisional(cut('webgpu', true))).toBe(false);
    expect(isProvisional(cut('wasm'))).toBe(false);
    expect(failedTwiceIsFinal([cut('webgpu', true)], [cut('webgpu', true)])[0].cutOffTwice).toBeUndefined();
    // The notice says why it was not measured again.
    expect(describeCalibration({ timings: now, chosen: 'cpu' })).toMatch(/webgpu over 15(\.0)? s, cut off \(as on the last load: kept until Measure again\)/);
    expect(describeCalibration({ timings: now, chosen: 'cpu' })).not.toMatch(/webgl over [^,]*, cut off \(as on/);
    // And the page's next load reuses the calibration instead of measuring again.
    const device = deviceKey(`node ${process.version} ${process.platform}`, 0, ['']);
    const shape = { batch: 2, size: 8, channels: 1, width: 2, hidden: 4 };
    const cached = { device, workload: workloadKey(shape), timings: [now[0], T('cpu', 2)], chosen: 'cpu' as const, at: '2026-01-01T00:00:00Z' };
    expect((await chooseBackend(['webgpu', 'cpu'], { cached, shape, budgetMs: 300 })).calibration!.cached).toBe(true);
  });

  it('a warm-up cut off (shaders compiling) bounds no step: no speed-up is claimed from it', () => {
    const warm: BackendTiming = { ...T('webgpu', null), overMs: 15_000, cutInWarmUp: true, reason: 'the warm-up workload had not finished' };
    expect(speedupOverSlowest({ timings: [warm, T('wasm', 50), T('cpu', 60)], chosen: 'wasm' })).toBeUndefined();
    // Cut off in a timed repetition: a lower bound, as before.
    expect(speedupOverSlowest({ timings: [{ ...warm, cutInWarmUp: undefined }, T('wasm', 50)], chosen: 'wasm' })).toEqual({ factor: 300, slowest: 'webgpu', atLeast: 'cut off' });
  });

  it('withinLimit: passes a value through, rejects a promise that never settles after its limit', async () => {
    await expect(withinLimit(Promise.resolve(7), 50, 'x')).resolves.toBe(7);
    await expect(withinLimit(Promise.reject(new Error('own')), 50, 'x')).rejects.toThrow('own');
    const t0 = Date.now();
    await expect(withinLimit(new Promise(() => {}), 120, 'the read')).rejects.toThrow('the read did not finish within 120 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it('initBackend falls back to cpu when WebGPU grants no adapter, and says so', async () => {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
    const r = await initBackend(['webgpu', 'cpu']);
    expect(r.backend).toBe('cpu');
    expect(r.requested).toBe('webgpu');
    expect(r.fallbacks).toEqual([{ backend: 'webgpu', reason: expect.stringMatching(/no adapter was granted/) }]);
  });
});

describe('calibrationShape', () => {
  it('is the run’s own first-layer workload: both views of the batch, at the size the network sees', async () => {
    const { calibrationShape } = await import('../../../src/engine/backendChoice');
    const { buildConfig } = await import('../../../src/engine/config');
    // The default run: 16×16 shapes (RGB), batch 32, widths [8, 16], projector hidden 64.
    expect(calibrationShape(buildConfig())).toMatchObject({ batch: 64, size: 16, channels: 3, width: 8, hidden: 64, model: { widths: [8, 16] } });
    // Fashion-MNIST at its own size: 28×28 grayscale.
    const fashion = buildConfig({ overrides: { data: { name: 'fashion-mnist', imageSize: 0 }, batchSize: 8, model: { widths: [12], projHidden: 40 } } });
    expect(calibrationShape(fashion)).toMatchObject({ batch: 16, size: 28, channels: 1, width: 12, hidden: 40, model: { widths: [12] } });
    // Own images and shapes at their own size: the side they are stored at (32), RGB.
    for (const name of ['own', 'shapes'] as const) {
      const c = buildConfig({ overrides: { data: { name, imageSize: 0 } } });
      expect(calibrationShape(c), name).toMatchObject({ size: 32, channels: 3 });
    }
  });
});

// A GPU pays per dispatch as well as per FLOP: on an H100 through Dawn in Node ~1.2 ms of
// host time per tfjs op made a ~600-op step take 0.6–1.4 s against 22–43 ms on cpu, yet the
// earlier two-conv workload (its arithmetic, a tenth of its ops) timed WebGPU 3× faster.
/** How many kernels `f` runs (tfjs' engine.runKernel calls; tf.profile misses those after an await). */
async function kernelsRun(f: () => unknown): Promise<number> {
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const run = engine.runKernel;
  let n = 0;
  engine.runKernel = function (...a: unknown[]) {
    n++;
    return run.apply(this, a);
  };
  try {
    await f();
  } finally {
    engine.runKernel = run;
  }
  return n;
}

describe('the calibration workload', () => {
  it('runs as many kernels as a good part of a training step (at least a quarter: BYOL’s target pass is not in it), and leaks nothing', async () => {
    const { calibrationShape, calibrationWorkload } = await import('../../../src/engine/backendChoice');
    const { buildConfig } = await import('../../../src/engine/config');
    const { loadDataset } = await import('../../../src/engine/data');
    const { Trainer } = await import('../../../src/engine/trainer');
    for (const preset of ['simclr-dense', 'byol-dense']) {
      const config = buildConfig({ preset, tiny: true });
      const ds = await loadDataset('shapes', { seed: 1, trainCount: 64, testCount: 16 });
      const t = new Trainer(config, ds);
      await t.trainStep();
      const step = await kernelsRun(() => t.trainStep());
      t.dispose();
      const before = tf.memory().numTensors;
      const shape = calibrationShape(config);
      const work = await kernelsRun(() => calibrationWorkload(shape, 1).dispose());
      expect(tf.memory().numTensors, `${preset}: the workload leaks`).toBe(before);
      expect(work, `${preset}: ${work} kernels against a step's ${step}`).toBeGreaterThanOrEqual(step / 4);
      // Without the model, the old two-conv workload: a tenth of a step's kernels or fewer.
      const { model: _model, ...convsOnly } = shape;
      expect(await kernelsRun(() => calibrationWorkload(convsOnly, 1).dispose())).toBeLessThan(step / 10);
    }
  });
});
