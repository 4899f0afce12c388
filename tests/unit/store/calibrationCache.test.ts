// The page's cached backend calibration is reused only by the build that measured it: a
// later build's kernels may rank the backends otherwise (a release that speeds WebGPU up
// would otherwise keep the old ranking until "Measure again").
import { execSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BackendReport } from '../../../src/engine/backend';
import { APP_BUILD, calibrationEntry, parseCalibration } from '../../../src/store/calibrationCache';

const report = {
  backend: 'cpu',
  adapter: 'cpu',
  softwareAdapter: false,
  fallbacks: [],
  calibration: { device: '["ua",2,[""]]', workload: 'w', timings: [{ backend: 'cpu', adapter: 'cpu', software: false, ms: 40, warmupMs: 50 }], cached: false, at: '2026-11-28T00:00:00Z', ms: 900 },
} as unknown as BackendReport;

describe('calibration cache', () => {
  it('round-trips within one build and is dropped by another', () => {
    const raw = calibrationEntry(report, 'abc1234')!;
    expect(parseCalibration(raw, 'abc1234')).toMatchObject({ device: '["ua",2,[""]]', chosen: 'cpu', build: 'abc1234', timings: [{ backend: 'cpu', ms: 40 }] });
    expect(parseCalibration(raw, 'def5678')).toBeUndefined();
    // An entry from before builds were recorded is measured again too.
    const { build: _, ...old } = JSON.parse(raw) as Record<string, unknown>;
    expect(parseCalibration(JSON.stringify(old), 'abc1234')).toBeUndefined();
  });

  it('corrupt or foreign entries are measured again, not thrown', () => {
    for (const raw of [null, '', '{', 'null', '[]', '{"device":1,"timings":[],"build":"dev"}', '{"device":"d","timings":{},"build":"dev"}']) expect(parseCalibration(raw, 'dev')).toBeUndefined();
    // A timing that is not one (found by a read-only hunt: the worker's choice threw on it at every start).
    const entry = (timings: unknown, chosen: unknown = 'cpu') => JSON.stringify({ device: 'd', timings, chosen, at: 'x', build: 'dev' });
    const good = { backend: 'cpu', adapter: 'JavaScript (cpu)', software: false, ms: 40, warmupMs: 50 };
    expect(parseCalibration(entry([good]), 'dev')?.timings).toEqual([good]);
    for (const bad of [[null], [{ ...good, backend: 'tpu' }], [{ ...good, ms: '40' }], [{ adapter: 'x' }]]) expect(parseCalibration(entry(bad), 'dev'), JSON.stringify(bad)).toBeUndefined();
    expect(parseCalibration(entry([good], 'gpu'), 'dev')).toBeUndefined();
  });

  it('the app\'s build id is the commit (vite.config.ts); the tests, built without it, read "dev"', async () => {
    // Read here from git, not from the code: a build id that stayed "dev" would never expire a cache.
    const vite = (await import('../../../vite.config')).default as { define?: Record<string, string> };
    expect(vite.define?.__APP_BUILD__).toBe(JSON.stringify(execSync('git rev-parse --short HEAD').toString().trim()));
    expect(APP_BUILD).toBe('dev');
    expect(calibrationEntry({ ...report, calibration: undefined } as BackendReport)).toBeUndefined();
  });
});
