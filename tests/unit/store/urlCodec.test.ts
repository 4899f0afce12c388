// The URL codec is generated from the settings table: every setting round-trips through
// a link (config → search string → config), only what differs from the preset is written,
// and a method's setting does not switch that method on in a link whose preset lacks it.
import { describe, expect, it } from 'vitest';
import { buildConfig, PRESET_NAMES, SETTINGS, type Config } from '../../../src/engine/config';
import { fragmentAt, getAt, type SettingSpec } from '../../../src/engine/settingsTable';
import { parseUrl, toSearch } from '../../../src/store/url';

/** Values worth trying for a setting, other than its default. */
function candidates(spec: SettingSpec, current: unknown): unknown[] {
  switch (spec.input) {
    case 'checkbox':
      return [!current];
    case 'select':
      return (spec.options ?? []).filter((o) => o !== current);
    case 'list':
      return [[8, 12], [1, 2], [2]];
    case 'integer':
      return [Number(current ?? 0) + 1, 3, 1, 0];
    default:
      return [Number(current) / 2, Number(current) * 1.5, 0.35, 0.5, 1];
  }
}

/** A preset and override where `spec` applies and takes a valid non-default value. */
function variant(spec: SettingSpec): { preset: string; config: Config } | undefined {
  for (const preset of PRESET_NAMES) {
    const base = buildConfig({ preset, tiny: true });
    if (spec.method && getAt(base, spec.method) === null) continue;
    for (const value of candidates(spec, getAt(base, spec.path))) {
      try {
        const config = buildConfig({ preset, tiny: true, overrides: fragmentAt(spec.path, value) });
        if (JSON.stringify(getAt(config, spec.path)) !== JSON.stringify(getAt(base, spec.path))) return { preset, config };
      } catch {
        /* not valid there: try the next */
      }
    }
  }
  return undefined;
}

describe('URL codec from the settings table', () => {
  it.each(SETTINGS.map((s) => [s.path, s] as const))('%s round-trips through a link', (_path, spec) => {
    const v = variant(spec);
    expect(v, `no valid non-default value found for ${spec.path}`).toBeDefined();
    const search = toSearch(v!.preset as never, true, v!.config, 'auto');
    expect(new URLSearchParams(search).get(spec.key)).not.toBeNull();
    const u = parseUrl(search);
    expect(u.notice).toBeUndefined();
    expect(buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides })).toEqual(v!.config);
  });

  it('writes only the preset (and tiny) for an unchanged preset', () => {
    for (const preset of PRESET_NAMES) expect(toSearch(preset, true, buildConfig({ preset, tiny: true }), 'auto')).toBe(`?preset=${preset}&tiny=1`);
  });

  it('a SyncCP setting in a dense preset is dropped with a notice, not turned into a SyncCP run', () => {
    const u = parseUrl('?preset=simclr-dense&syncp.gap=0.1&lr=0.01');
    expect(u.notice).toContain('syncp.gap applies only when SyncCP is on (preset simclr-dense)');
    const c = buildConfig({ preset: u.preset, overrides: u.overrides });
    expect(c.syncp).toBeNull();
    expect(c.optim.lr).toBe(0.01);
  });

  it('keeps the short keys of existing links', () => {
    const u = parseUrl('?preset=cdg&lr=0.003&batch=16&temperature=0.5&dataset=fashion-mnist&steps=40&seed=9');
    expect(u.notice).toBeUndefined();
    expect(u.overrides).toEqual({ optim: { lr: 0.003 }, batchSize: 16, ssl: { temperature: 0.5 }, data: { name: 'fashion-mnist' }, steps: 40, seed: 9 });
  });
});
