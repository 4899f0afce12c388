// The auto-mode notice when the backend measured fastest fails to start for the run (its wasm
// files did not load, say): it must not call the one that runs "fastest on this device" with
// no word of the one that did not start.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BackendReport } from '../../../src/engine/backend';
import { calibrationShape, workloadKey } from '../../../src/engine/calibrationWorkload';
import { buildConfig } from '../../../src/engine/config';
import { CalibrationNotice, measuredForAnother } from '../../../src/ui/BackendBadge';

const timing = (backend: 'webgpu' | 'wasm' | 'cpu', ms: number) => ({ backend, adapter: backend, software: false, ms, warmupMs: ms });
const report = (backend: 'wasm' | 'cpu', fallbacks: BackendReport['fallbacks']): BackendReport => ({
  backend,
  adapter: backend,
  softwareAdapter: false,
  requested: 'wasm',
  fallbacks,
  calibration: { timings: [timing('wasm', 40), timing('cpu', 70)], cached: true, at: '2026-11-27T00:00:00Z', device: 'test' },
});
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('the backend choice notice', () => {
  it('says which faster backend did not start and why, and does not call the one running the fastest on this device', () => {
    const t = text(renderToStaticMarkup(createElement(CalibrationNotice, { report: report('cpu', [{ backend: 'wasm', reason: 'its .wasm files could not be loaded' }]) })));
    expect(t).toContain('Running on cpu: fastest of the backends that started');
    expect(t).not.toContain('fastest on this device');
    expect(t).toContain('wasm was measured faster but did not start: its .wasm files could not be loaded');
  });

  it('a hardware GPU cut off on two loads in a row says it is kept until Measure again; once, it does not', () => {
    const cut = (twice: boolean): BackendReport => {
      const r = report('cpu', []);
      r.calibration!.timings = [{ ...timing('webgpu', 0), ms: null, overMs: 15_000, reason: 'one training workload had not finished', ...(twice ? { cutOffTwice: true } : {}) }, timing('cpu', 70)];
      return r;
    };
    expect(text(renderToStaticMarkup(createElement(CalibrationNotice, { report: cut(true) })))).toContain('(as on the last load: kept until Measure again)');
    expect(text(renderToStaticMarkup(createElement(CalibrationNotice, { report: cut(false) })))).not.toContain('kept until Measure again');
  });

  it('when the fastest runs: fastest on this device, no fallback line', () => {
    const t = text(renderToStaticMarkup(createElement(CalibrationNotice, { report: report('wasm', []) })));
    expect(t).toContain('Running on wasm: fastest on this device');
    expect(t).not.toContain('did not start');
  });

  it('knows when the backend was measured for another model, image size or batch than the run on screen (the choice is made when the worker starts)', () => {
    const tiny = buildConfig({ tiny: true });
    const full = buildConfig();
    const key = (c: typeof tiny) => workloadKey(calibrationShape(c));
    expect(measuredForAnother(key(tiny), full)).toBe(true);
    expect(measuredForAnother(key(full), tiny)).toBe(true);
    expect(measuredForAnother(key(full), full)).toBe(false);
    expect(measuredForAnother(key(full), buildConfig({ overrides: { optim: { lr: 0.01 } } }))).toBe(false); // not the workload
    expect(measuredForAnother(undefined, full)).toBe(false); // an older calibration without a key
    // Tiny and full differ only in the batch here (same widths, same 16 px images), and the notice says so.
    expect([tiny.model.widths, tiny.data.imageSize]).toEqual([full.model.widths, full.data.imageSize]);
  });
});
