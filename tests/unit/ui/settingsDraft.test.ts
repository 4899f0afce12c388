// The settings draft covers every setting (not only the quick ones): a draft of a config
// evaluates back to that config, an edit of any setting is validated with its label, and
// a method that is off cannot be switched on by editing one of its settings.
import { describe, expect, it } from 'vitest';
import { buildConfig, PRESET_NAMES, SETTINGS } from '../../../src/engine/config';
import { draftOf, evaluate, QUICK_SETTINGS } from '../../../src/store/settings';
import { parseUrl, toSearch } from '../../../src/store/url';

const state = (preset: (typeof PRESET_NAMES)[number], draft = draftOf(buildConfig({ preset, tiny: true }))) => ({ preset, tiny: true, draft, importedBase: undefined });

describe('settings draft', () => {
  it.each(PRESET_NAMES.map((p) => [p]))('%s: the draft of a config has every setting that is on and evaluates back to it', (preset) => {
    const config = buildConfig({ preset, tiny: true });
    const draft = draftOf(config);
    for (const s of SETTINGS) {
      const on = !s.method || (config as unknown as Record<string, unknown>)[s.method] !== null;
      expect(s.path in draft, s.path).toBe(on);
    }
    for (const q of QUICK_SETTINGS) expect(q.path in draft).toBe(true);
    const r = evaluate(state(preset, draft));
    expect(r.issues).toEqual({});
    expect(r.config).toEqual(config);
  });

  it('an edit of a non-quick setting applies; an impossible one is reported under it with its label', () => {
    const base = state('syncp-2of4');
    const ok = evaluate({ ...base, draft: { ...base.draft, 'syncp.gap': '0.2' } });
    expect(ok.config?.syncp?.gap).toBe(0.2);
    const bad = evaluate({ ...base, draft: { ...base.draft, 'syncp.gap': '2' } });
    expect(bad.config).toBeUndefined();
    expect(bad.issues['syncp.gap']).toBe('Density gap must be ≤ 1 (got 2)');
    const cross = evaluate({ ...base, draft: { ...base.draft, 'syncp.n': '5' } });
    expect(cross.issues['syncp.n']).toContain('N ≤ M');
    const list = evaluate({ ...base, draft: { ...base.draft, 'model.widths': '8,x' } });
    expect(list.issues['model.widths']).toContain('numbers separated by commas');
    const entry = evaluate({ ...base, draft: { ...base.draft, 'model.widths': '8,1' } });
    expect(entry.issues['model.widths']).toContain('Stage widths');
    const checkbox = evaluate({ ...state('syncp-unstructured'), draft: { ...state('syncp-unstructured').draft, 'syncp.regrowth.enabled': '1' } });
    expect(checkbox.config?.syncp?.regrowth.enabled).toBe(true);
  });

  it('an optional list left empty is unset', () => {
    const base = state('simclr-dense');
    expect(base.draft['model.strides']).toBe('');
    expect(evaluate(base).config?.model.strides).toBeUndefined();
    expect(evaluate({ ...base, draft: { ...base.draft, 'model.strides': '1,2' } }).config?.model.strides).toEqual([1, 2]);
    // Also over an imported run that set it: the empty field is what runs.
    const importedBase = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { model: { strides: [1, 2] } } });
    const imported = { ...base, importedBase, draft: draftOf(importedBase) };
    expect(evaluate(imported).config?.model.strides).toEqual([1, 2]);
    const cleared = evaluate({ ...imported, draft: { ...imported.draft, 'model.strides': '' } });
    expect(cleared.issues).toEqual({});
    expect(cleared.config?.model.strides).toBeUndefined();
  });

  it('a SyncCP or CDG setting in a preset where that method is off is refused, not switched on', () => {
    const base = state('simclr-dense');
    const r = evaluate({ ...base, draft: { ...base.draft, 'syncp.gap': '0.1' } });
    expect(r.config).toBeUndefined();
    expect(r.issues['syncp.gap']).toContain('only when SyncCP is on');
    const c = evaluate({ ...state('byol-dense'), draft: { ...state('byol-dense').draft, 'cdg.beta': '0.5' } });
    expect(c.issues['cdg.beta']).toContain('only when CDG is on');
  });
});

describe('classroom key in the URL', () => {
  it('is read, reported when malformed, and round-trips', () => {
    expect(parseUrl('?classroom=1').classroom).toBe(true);
    expect(parseUrl('?classroom=1').notice).toBeUndefined();
    expect(parseUrl('?preset=cdg').classroom).toBe(false);
    expect(parseUrl('?classroom=yes').notice).toContain('classroom must be 0 or 1');
    const config = buildConfig({ preset: 'cdg', tiny: true });
    const on = toSearch('cdg', true, config, 'webgpu', true);
    expect(on).toBe('?preset=cdg&tiny=1&backend=webgpu&classroom=1');
    expect(parseUrl(on).classroom).toBe(true);
    expect(toSearch('cdg', true, config, 'webgpu', false)).not.toContain('classroom');
    // By default it follows the settings store (off unless the page was opened with it).
    expect(toSearch('cdg', true, config, 'auto')).toBe('?preset=cdg&tiny=1');
  });
});
