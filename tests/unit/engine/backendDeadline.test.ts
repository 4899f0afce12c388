// The calibration's budget: a software GPU adapter is timed last, against a deadline, and
// loses with a reason when it cannot finish by then; the notice line says so; nothing
// leaks once the reads left behind settle. On WebGPU in Node (Dawn; SwiftShader without a
// GPU) the whole choice's wall time is printed ([calibration] lines), not asserted: it
// depends on the machine's load.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installNodeWebGPU } from '../../../src/cli/nodeWebgpu';
import { webgpuAdapterLabel } from '../../../src/engine/backend';
import { chooseBackend, currentDevice, DEFAULT_WORKLOAD, describeCalibration, fastest, measureBackends, workloadKey, type BackendTiming } from '../../../src/engine/backendChoice';

/** The backend with the smallest measured time, worked out here (not by the code under test). */
function quickest(timings: readonly BackendTiming[]): string {
  const timed = timings.filter((x): x is BackendTiming & { ms: number } => x.ms !== null);
  expect(timed.length).toBeGreaterThan(0);
  return timed.reduce((a, b) => (b.ms < a.ms ? b : a)).backend;
}

const installed = await installNodeWebGPU();
const adapter = installed.ok ? await webgpuAdapterLabel() : '';
const software = /swiftshader|fallback|software/i.test(adapter);

/** Until the reads a cut-off left behind have settled and their scalars are disposed. */
async function settled(target: number): Promise<number> {
  for (let i = 0; i < 300 && tf.memory().numTensors !== target; i++) await new Promise((r) => setTimeout(r, 100));
  return tf.memory().numTensors;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('calibration budget', () => {
  it('a cut-off backend is named with its lower bound, and does not count as measured', () => {
    const cut: BackendTiming = { backend: 'webgpu', adapter: 'swiftshader', software: true, ms: null, warmupMs: null, overMs: 1900, reason: 'compiling its shaders had not finished' };
    const cpu: BackendTiming = { backend: 'cpu', adapter: 'cpu', software: false, ms: 47, warmupMs: 60 };
    expect(fastest([cut, cpu])).toBe('cpu');
    // 1900 / 47 = 40.4: a lower bound, since webgpu took longer than its cut-off.
    expect(describeCalibration({ timings: [cut, cpu], chosen: 'cpu' })).toBe('webgpu (software adapter) over 1.9 s, cut off, cpu 47 ms — using cpu (at least 40× faster than webgpu, which was cut off)');
  });

  it.skipIf(!software)('a software adapter whose turn comes after the budget is spent is neither compiled nor run; results in candidate order; no leak', async () => {
    const before = tf.memory().numTensors;
    // 1 ms: the deadline is over before WebGPU starts (the cpu is timed first).
    const t0 = performance.now();
    const t = await measureBackends(['webgpu', 'cpu'], { batch: 2, size: 8, channels: 3, width: 4, hidden: 8 }, 1);
    const wall = performance.now() - t0;
    expect(t.map((x) => x.backend)).toEqual(['webgpu', 'cpu']);
    expect(t[1].ms).toBeGreaterThan(0);
    expect(t[0]).toMatchObject({ software: true, ms: null, notTimed: true });
    expect(t[0].overMs).toBeUndefined();
    expect(t[0].reason).toMatch(/not timed: the 1.0 ms calibration budget was spent before its turn/);
    expect(describeCalibration({ timings: t, chosen: 'cpu' })).toMatch(/^webgpu \(software adapter\) not timed \(the budget was spent before its turn\), cpu [\d.]+ (ms|s) — using cpu$/);
    expect(fastest(t)).toBe('cpu');
    expect(await settled(before)).toBe(before);
    console.log(`[calibration] a 1 ms budget with a software WebGPU after cpu: ${wall.toFixed(0)} ms in all`);
  });

  it.skipIf(!software)('a cached figure of a hardware adapter is not reused when the one that starts is software: measured again', async () => {
    // The same device key, but the timings were cached when WebGPU was a hardware adapter
    // and fastest (WebGL after acceleration is turned off is the browser's case).
    const device = await currentDevice(3000);
    const cached = {
      device,
      workload: workloadKey(DEFAULT_WORKLOAD),
      timings: [{ backend: 'webgpu' as const, adapter: 'a GPU', software: false, ms: 1, warmupMs: 1 }, { backend: 'cpu' as const, adapter: 'cpu', software: false, ms: 500, warmupMs: 500 }],
      chosen: 'webgpu' as const,
      at: '2026-01-01T00:00:00Z',
    };
    const r = await chooseBackend(['webgpu', 'cpu'], { cached, budgetMs: 1500 });
    expect(r.calibration!.cached).toBe(false);
    expect(r.calibration!.timings.find((t) => t.backend === 'webgpu')!.software).toBe(true);
    expect(r.backend).toBe(quickest(r.calibration!.timings));
  });

  it.skipIf(!installed.ok)('the choice between webgpu and cpu at the default workload and at the tiny run’s size: printed wall time', async () => {
    const before = tf.memory().numTensors;
    for (const [label, shape] of [
      ['default workload', undefined],
      ['tiny run (batch 2×8, 16 px, width 8)', { batch: 16, size: 16, channels: 3, width: 8, hidden: 32 }],
    ] as const) {
      const r = await chooseBackend(['webgpu', 'cpu'], { shape });
      const c = r.calibration!;
      console.log(`[calibration] ${label}: ${(c.ms! / 1000).toFixed(2)} s on "${adapter}" — ${describeCalibration({ timings: c.timings, chosen: r.backend })}`);
      expect(r.backend).toBe(quickest(c.timings));
      // Each backend has a time, a time it was cut off at, or a reason it has neither.
      for (const x of c.timings) expect(x.ms !== null ? x.ms > 0 : (x.overMs ?? 0) > 0 || /\w{4}/.test(x.reason ?? ''), JSON.stringify(x)).toBe(true);
      // The second choice in one process must not trip over pipelines the first left compiling.
      for (const x of c.timings) expect(x.reason ?? '').not.toMatch(/workload failed/);
    }
    await tf.setBackend('cpu');
    expect(await settled(before)).toBe(before);
  });
});
