// What the settings table derives for the CLI's --help, the settings form and the URL:
// which presets set a setting, a number's bounds from its schema, and the one rule that a
// method's setting never switches the method on.
import { describe, expect, it } from 'vitest';
import { buildConfig, describePresets, PRESET_NAMES, presetsSetting, SETTINGS, settingAt } from '../../../src/engine/config';
import { getAt, methodOffFor } from '../../../src/engine/settingsTable';
import { parseUrl } from '../../../src/store/url';

describe('settings table', () => {
  it('names the presets that set a setting (read by hand from config.ts PRESETS), a whole family as family-*', () => {
    expect(presetsSetting('syncp.granularity')).toEqual(['syncp-unstructured', 'syncp-channel', 'syncp-2of4', 'syncp-reference']);
    expect(describePresets(presetsSetting('syncp.granularity'))).toBe('syncp-*');
    // syncp-reference keeps BYOL's default m₀: no family shorthand.
    expect(presetsSetting('ssl.emaStart')).toEqual(['byol-dense', 'syncp-unstructured', 'syncp-channel', 'syncp-2of4']);
    expect(describePresets(presetsSetting('ssl.emaStart'))).toBe('byol-dense, syncp-unstructured, syncp-channel, syncp-2of4');
    expect(presetsSetting('cdg.beta')).toEqual(['cdg']);
    expect(presetsSetting('seed')).toEqual([]);
  });

  it('a preset that does not set a setting runs it at the setting’s own default', () => {
    let compared = 0;
    for (const spec of SETTINGS) {
      const dflt = spec.schema.safeParse(undefined);
      for (const preset of PRESET_NAMES) {
        if (presetsSetting(spec.path).includes(preset)) continue;
        const v = getAt(buildConfig({ preset }), spec.path);
        // Absent where the preset leaves the setting's method off.
        if (v !== undefined) {
          expect(v, `${preset} ${spec.path}`).toEqual(dflt.success ? dflt.data : undefined);
          compared += 1;
        }
      }
    }
    // The loop really compared (a wrong path would make every value undefined), and one case by hand.
    expect(compared).toBeGreaterThan(SETTINGS.length);
    expect(buildConfig({ preset: 'simclr-dense' }).ssl.temperature).toBe(0.2);
  });

  it('a number’s bounds come from its schema: just outside is refused, the default lies within', () => {
    expect([settingAt('batchSize')!.min, settingAt('batchSize')!.max]).toEqual([2, 512]);
    expect([settingAt('optim.lr')!.min, settingAt('optim.lr')!.max]).toEqual([0, 10]);
    expect(settingAt('eval.knnEvery')!.max).toBeUndefined();
    let bounded = 0;
    for (const spec of SETTINGS) {
      if (spec.input !== 'number' && spec.input !== 'integer') {
        expect(spec.min, spec.path).toBeUndefined();
        continue;
      }
      const dflt = spec.schema.safeParse(undefined);
      const d = dflt.success ? (dflt.data as number | undefined) : undefined;
      if (spec.min !== undefined) {
        bounded++;
        expect(spec.schema.safeParse(spec.min - 1).success, spec.path).toBe(false);
        if (d !== undefined) expect(d, spec.path).toBeGreaterThanOrEqual(spec.min);
      }
      if (spec.max !== undefined) {
        expect(spec.schema.safeParse(spec.max + 1).success, spec.path).toBe(false);
        if (d !== undefined) expect(d, spec.path).toBeLessThanOrEqual(spec.max);
      }
    }
    expect(bounded).toBeGreaterThan(20);
  });

  it('a method’s setting where the method is off is refused with one message, in links as in the form', () => {
    const dense = buildConfig({ preset: 'simclr-dense' });
    const gap = settingAt('syncp.gap')!;
    expect(methodOffFor(gap, dense)).toBe('applies only when SyncCP is on');
    expect(methodOffFor(gap, buildConfig({ preset: 'syncp-channel' }))).toBeUndefined();
    expect(methodOffFor(settingAt('optim.lr')!, dense)).toBeUndefined();
    expect(methodOffFor(settingAt('cdg.beta')!, dense)).toBe('applies only when CDG is on');
    const url = parseUrl('?preset=simclr-dense&syncp.gap=0.2');
    expect(url.notice).toContain('syncp.gap applies only when SyncCP is on (preset simclr-dense)');
    expect(url.overrides).toEqual({});
  });
});
