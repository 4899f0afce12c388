// @vitest-environment happy-dom
// What the backend notices say, against the store's run (found by a read-only hunt): tiny and
// full differ only in the batch, so "another model or image size" was wrong; a backend picked
// in the menu was said to be "asked for in the link".
import { createElement } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BackendReport } from '../../../src/engine/backend';
import { calibrationShape, workloadKey } from '../../../src/engine/calibrationWorkload';
import { buildConfig } from '../../../src/engine/config';
import { useRun } from '../../../src/store/run';
import { useSettings } from '../../../src/store/settings';
import { BackendNotice } from '../../../src/ui/BackendBadge';
import { domRoot } from './domRoot';

const dom = domRoot();
const timing = (backend: 'webgpu' | 'wasm' | 'cpu', ms: number) => ({ backend, adapter: backend, software: false, ms, warmupMs: ms });

describe('backend notices', () => {
  // Its own starting point: a file before it in the same fork (isolate: false) may have left classroom mode on.
  beforeEach(() => useSettings.setState({ classroom: false }));
  it('a calibration for the full size, the tiny run on screen (same widths and image size, another batch): measured for another model, image size or batch', async () => {
    const tiny = buildConfig({ tiny: true });
    const full = buildConfig();
    expect([tiny.model.widths, tiny.data.imageSize]).toEqual([full.model.widths, full.data.imageSize]);
    expect(tiny.batchSize).not.toBe(full.batchSize);
    const report: BackendReport = {
      backend: 'cpu', adapter: 'cpu', softwareAdapter: false, requested: 'webgpu', fallbacks: [],
      calibration: { timings: [timing('webgpu', 900), timing('cpu', 30)], cached: true, at: '2026-11-29T00:00:00Z', device: 'test', workload: workloadKey(calibrationShape(full)) },
    };
    useSettings.setState({ applied: tiny });
    useRun.setState({ backend: report });
    await dom.render(createElement(BackendNotice));
    expect(dom.host.querySelector('[data-testid="backend-choice-other-workload"]')?.textContent).toContain('Measured for another model, image size or batch');
    expect(dom.host.textContent).toContain('Pick another backend above to compare');
    // Classroom mode hides the backend menu: the notice does not point at it.
    useSettings.setState({ classroom: true });
    await dom.render(createElement(BackendNotice));
    expect(dom.host.textContent).not.toContain('Pick another backend');
    useSettings.setState({ classroom: false });
  });

  it('a backend named first (by the link or the menu) without a calibration: said to be chosen, not to come from the link', async () => {
    useRun.setState({ backend: { backend: 'cpu', adapter: 'cpu', softwareAdapter: false, requested: 'cpu', fallbacks: [] } });
    await dom.render(createElement(BackendNotice));
    const t = dom.host.querySelector('[data-testid="backend-notice"]')?.textContent ?? '';
    expect(t).toContain('cpu was chosen (in the link or the backend menu)');
    expect(t).not.toContain('asked for in the link');
  });

  // From a backend hunt: ?backend=webgl failing read "WebGPU is not in use. Why: webgl was
  // chosen … Running on the wasm backend", its failure only under "skipped too".
  it('a named backend that did not start leads the notice, with its reason; the others follow', async () => {
    useRun.setState({ backend: { backend: 'wasm', adapter: 'wasm', softwareAdapter: false, requested: 'webgl', fallbacks: [{ backend: 'webgl', reason: 'no WebGL context' }] } });
    await dom.render(createElement(BackendNotice));
    const t = dom.host.querySelector('[data-testid="backend-notice"]')?.textContent ?? '';
    expect(t).toMatch(/^webgl did not start: no WebGL context\. Running on the wasm backend \(wasm\)\./);
    expect(t).not.toContain('was chosen');
    expect(t).not.toContain('skipped too');
  });
});

