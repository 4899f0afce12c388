// After an import the link follows the imported run: parsed back, it rebuilds the imported
// config exactly, whichever preset was picked before the import (issue 15: a link copied
// after an import must not open another run).
import { describe, expect, it } from 'vitest';
import { buildConfig, PRESET_NAMES, type Config, type PresetName } from '../../../src/engine/config';
import { linkOf, presetOf } from '../../../src/store/presetOf';
import { parseUrl } from '../../../src/store/url';

/** The config a link opens (as the page does at startup). */
function opened(search: string): Config {
  const u = parseUrl(search);
  expect(u.notice).toBeUndefined();
  return buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides });
}

describe('link after an import', () => {
  it('every preset, both sizes, with edited settings, imported while another preset is picked: the link opens the imported config', () => {
    for (const preset of PRESET_NAMES) {
      for (const tiny of [false, true]) {
        const imported = buildConfig({ preset, tiny, overrides: { optim: { lr: 0.0037 }, seed: 7 } });
        const picked: PresetName = preset === 'simclr-dense' ? 'cdg' : 'simclr-dense';
        const settings = { preset: picked, tiny: !tiny, applied: imported, importedBase: imported, backend: 'auto' as const };
        const link = linkOf(settings);
        expect(opened(link), `${preset} tiny=${tiny}: ${link}`).toEqual(imported);
        expect(new URLSearchParams(link).get('preset')).toBe(preset);
      }
    }
  });

  it('a setting edited after the import is in the link too; a named backend stays', () => {
    const imported = buildConfig({ preset: 'syncp-2of4', tiny: true });
    const edited = buildConfig({ preset: 'syncp-2of4', tiny: true, overrides: { syncp: { gap: 0.2 } } });
    const link = linkOf({ preset: 'simclr-dense', tiny: false, applied: edited, importedBase: imported, backend: 'webgpu' });
    expect(opened(link)).toEqual(edited);
    expect(parseUrl(link).backend).toBe('webgpu');
  });

  it('without an import the link is the picked preset with what differs from it', () => {
    const applied = buildConfig({ preset: 'cdg', tiny: true, overrides: { optim: { lr: 0.002 } } });
    const link = linkOf({ preset: 'cdg', tiny: true, applied, backend: 'auto' });
    expect(opened(link)).toEqual(applied);
    expect(new URLSearchParams(link).get('preset')).toBe('cdg');
  });

  it('an unchanged preset is found as itself, exactly (a dense config is not "cdg with CDG off", a shorter link)', () => {
    for (const preset of PRESET_NAMES) {
      for (const tiny of [false, true]) expect(presetOf(buildConfig({ preset, tiny }))).toEqual({ preset, tiny, exact: true });
    }
  });
});
