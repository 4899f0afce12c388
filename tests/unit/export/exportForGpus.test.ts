// The app's "Export for GPUs" button, rendered to HTML in Node: enabled for an exportable
// config, disabled with the reason as its tooltip for CDG.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { ExportForGpus } from '../../../src/ui/ExportForGpus';

// Rendered on the "server", a zustand hook reads the store's initial state, so the config
// is passed as a prop here; in the app the component reads the applied config from the store.

function button(html: string): string {
  const m = html.match(/<button[^>]*data-testid="export-gpus"[^>]*>/);
  expect(m).not.toBeNull();
  return m![0];
}

describe('ExportForGpus', () => {
  it('reads the store when no config is given (the default preset is exportable)', () => {
    expect(button(renderToStaticMarkup(createElement(ExportForGpus, {})))).not.toContain('disabled');
  });

  it('offers the export for a SyncCP config', () => {
    const html = renderToStaticMarkup(createElement(ExportForGpus, { config: buildConfig({ preset: 'syncp-2of4' }) }));
    expect(html).toContain('Export for GPUs');
    expect(button(html)).not.toContain('disabled');
    expect(button(html)).toMatch(/title="Download gpu-run.zip \(pretrain.sh and MAPPING.md\)[^"]*8 GPUs/);
  });

  it('is disabled for CDG, and its tooltip says why', () => {
    const b = button(renderToStaticMarkup(createElement(ExportForGpus, { config: buildConfig({ preset: 'cdg' }) })));
    expect(b).toContain('disabled');
    expect(b).toMatch(/title="CDG[^"]*no public implementation/);
  });
});
