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

/** The first preset whose config runs the setting's method (any preset for a general setting). */
function presetWhereApplies(spec: SettingSpec): string {
  const p = PRESET_NAMES.find((preset) => !spec.method || getAt(buildConfig({ preset, tiny: true }), spec.method) !== null);
  if (!p) throw new Error(`no preset runs ${spec.method}`);
  return p;
}

/** Text no decoder of the setting's input type can read. */
function garbageFor(spec: SettingSpec): string {
  switch (spec.input) {
    case 'checkbox':
      return 'maybe';
    case 'select':
      return 'no-such-option';
    case 'list':
      return '8,,x';
    default:
      return 'twelve';
  }
}

/** The problems of a notice, one per ignored parameter. */
function problems(notice: string | undefined): string[] {
  const m = /^Ignored part of the link: (.*)\. Using defaults for those\.$/.exec(notice ?? '');
  expect(m, `not a notice: ${notice}`).not.toBeNull();
  return m![1].split('; ');
}

/** A valid setting to go beside the garbage: lr, or the seed when lr is the garbage. */
const companion = (key: string) => (key === 'lr' ? { q: 'seed=5', check: (o: Record<string, unknown>) => expect(o.seed).toBe(5) } : { q: 'lr=0.004', check: (o: Record<string, unknown>) => expect((o.optim as { lr: number }).lr).toBe(0.004) });

describe('URL garbage, field by field', () => {
  it.each(SETTINGS.map((s) => [s.key, s] as const))('%s=<garbage> is named in the notice; the valid setting beside it is kept', (key, spec) => {
    const preset = presetWhereApplies(spec);
    const c = companion(key);
    const u = parseUrl(`?preset=${preset}&${key}=${encodeURIComponent(garbageFor(spec))}&${c.q}`);
    const named = problems(u.notice).filter((p) => p.startsWith(`${key} `) || p.startsWith(`${key}:`));
    expect(named, u.notice).toHaveLength(1);
    expect(named[0]).toContain(garbageFor(spec));
    expect(u.preset).toBe(preset);
    c.check(u.overrides);
    // Nothing of the garbage reached the config.
    expect(JSON.stringify(getAt(buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides }), spec.path))).toBe(JSON.stringify(getAt(buildConfig({ preset: u.preset, tiny: u.tiny }), spec.path)));
  });

  // A value of the right type that the schema refuses is named by the link's key too ('lr', not 'optim.lr').
  it.each(SETTINGS.filter((s) => s.input === 'number' || s.input === 'integer').map((s) => [s.key, s] as const))('%s=-1e9, when the schema refuses it, is named by its key', (key, spec) => {
    const preset = presetWhereApplies(spec);
    let refused = false;
    try {
      buildConfig({ preset, tiny: true, overrides: fragmentAt(spec.path, -1e9) });
    } catch {
      refused = true;
    }
    const c = companion(key);
    const u = parseUrl(`?preset=${preset}&${key}=-1e9&${c.q}`);
    c.check(u.overrides);
    if (!refused) return expect(u.notice).toBeUndefined();
    expect(problems(u.notice).filter((p) => p.startsWith(`${key}:`) || p.startsWith(`${key} `))).toHaveLength(1);
  });

  // Found by a read-only hunt: a rule between two settings named the other one by its config
  // path ('batchSize'), which a link refuses as an unknown parameter.
  it('a refusal that names another setting names it by its link key', () => {
    const u = parseUrl('?preset=simclr-dense&batch=64&data.trainCount=50');
    const [p] = problems(u.notice);
    expect(p).toMatch(/^data\.trainCount: batch: the batch cannot be larger than the training images/);
    expect(u.notice).not.toMatch(/batchSize/);
    expect(u.overrides).toEqual({ batchSize: 64 });
  });

  it('several garbage fields at once: each named once, every valid one kept', () => {
    const u = parseUrl('?preset=syncp-unstructured&lr=0.004&batch=lots&seed=11&syncp.scores=both&syncp.gap=0.2&syncp.regrowth.enabled=perhaps&model.widths=4,x&temperature=0.3&steps=-5&augment.flip=0.25&wat=1');
    const ps = problems(u.notice);
    for (const key of ['batch', 'syncp.scores', 'syncp.regrowth.enabled', 'model.widths', 'steps', 'wat'])
      expect(ps.filter((p) => p.startsWith(`${key} `) || p.startsWith(`${key}:`) || p.includes(`"${key}"`)), `${key} in ${u.notice}`).toHaveLength(1);
    expect(ps).toHaveLength(6);
    expect(u.overrides).toEqual({ optim: { lr: 0.004 }, seed: 11, syncp: { gap: 0.2 }, ssl: { temperature: 0.3 }, augment: { flip: 0.25 } });
  });

  it('a key given twice with different values is named, and the first value is the one used', () => {
    const u = parseUrl('?preset=simclr-dense&lr=0.1&lr=0.2');
    expect(u.notice).toMatch(/lr given 2 times \("0\.1", "0\.2"\): the first is used/);
    expect(buildConfig({ preset: u.preset, overrides: u.overrides }).optim.lr).toBe(0.1);
    const t = parseUrl('?tiny=1&tiny=0&preset=cdg&preset=bogus');
    expect(t.notice).toMatch(/tiny given 2 times/);
    expect(t.notice).toMatch(/preset given 2 times/);
    expect([t.tiny, t.preset]).toEqual([true, 'cdg']);
    // The same value twice is no conflict; many values are shown three at most.
    expect(parseUrl('?lr=0.1&lr=0.1').notice).toBeUndefined();
    expect(parseUrl(`?${Array.from({ length: 50 }, (_, i) => `seed=${i + 1}`).join('&')}`).notice).toMatch(/seed given 50 times \("1", "2", "3", …\)/);
  });

  it('dataset=own is dropped with a notice: the files are not in the link', () => {
    const u = parseUrl('?preset=cdg&dataset=own&lr=0.004');
    expect(problems(u.notice)).toEqual(['dataset=own needs your own files, which a link cannot carry (choose them under Your own data)']);
    expect(u.overrides).toEqual({ optim: { lr: 0.004 } });
  });
});

describe('numbers in a link', () => {
  it('are decimal: 0x10, 0b11, 0o17 (which Number() reads) are refused and named; 1e-3, 3., .5, -0 and " 3 " are numbers', () => {
    for (const bad of ['0x10', '0b11', '0o17', '1_000', 'Infinity']) {
      const u = parseUrl(`?preset=simclr-dense&batch=${bad}&seed=4`);
      expect(u.notice, bad).toContain(`batch must be a number (got "${bad}")`);
      expect(u.overrides).toEqual({ seed: 4 });
    }
    const list = parseUrl('?preset=simclr-dense&model.widths=0x8,16');
    expect(list.notice).toContain('model.widths must be numbers separated by commas (got "0x8,16")');
    expect(parseUrl('?preset=simclr-dense&lr=1e-3').overrides).toEqual({ optim: { lr: 0.001 } });
    expect(parseUrl('?preset=simclr-dense&lr=.5').overrides).toEqual({ optim: { lr: 0.5 } });
    expect(parseUrl('?preset=simclr-dense&steps=30.').overrides).toEqual({ steps: 30 });
    expect(parseUrl(`?preset=simclr-dense&seed=${encodeURIComponent(' 3 ')}`).overrides).toEqual({ seed: 3 });
    expect(parseUrl('?preset=simclr-dense&seed=-0').notice).toBeUndefined();
  });

  it('an empty optional list (strides: [] from a config file) is the default: the link leaves it out and reads back clean', () => {
    const config = buildConfig({ preset: 'simclr-dense', overrides: { model: { strides: [] } } });
    const search = toSearch('simclr-dense', false, config, 'auto', false);
    expect(search).toBe('?preset=simclr-dense');
    expect(parseUrl(search).notice).toBeUndefined();
  });

  it('an N:M final fraction below 1 − the initial density is refused at that field, with its own rule', () => {
    const u = parseUrl('?preset=syncp-reference&syncp.nmFinal=0.2');
    expect(u.notice).toContain('the N:M final fraction must be ≥ 1 − the initial density');
    expect(u.notice).not.toContain('the initial density must be ≥ the final density');
    expect(() => buildConfig({ preset: 'syncp-reference', overrides: { syncp: { nmFinal: 0.2 } } })).toThrow(/syncp\.nmFinal: the N:M final fraction must be ≥ 1 − the initial density/);
  });
});

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

  it('settings valid only together round-trip, whatever their order in the link (N ≤ M, start ≤ end)', () => {
    const cases = [
      buildConfig({ preset: 'syncp-2of4', tiny: true, overrides: { syncp: { n: 5, m: 8 } } }),
      buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { syncp: { schedule: { start: 0.8, end: 0.9 } } } }),
      buildConfig({ preset: 'cdg', tiny: true, overrides: { cdg: { schedule: { start: 0.6, end: 0.7 } } } }),
    ];
    for (const config of cases) {
      const preset = config.cdg ? 'cdg' : config.syncp?.granularity === 'nm' ? 'syncp-2of4' : 'syncp-unstructured';
      const u = parseUrl(toSearch(preset, true, config, 'auto'));
      expect(u.notice, preset).toBeUndefined();
      expect(buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides })).toEqual(config);
    }
    // A value that is wrong on its own is still dropped alone, the valid ones kept.
    const bad = parseUrl('?preset=syncp-2of4&syncp.n=5&syncp.m=8&lr=-1');
    expect(bad.notice).toMatch(/lr/);
    expect(buildConfig({ preset: bad.preset, overrides: bad.overrides }).syncp).toMatchObject({ n: 5, m: 8 });
  });

  it('an unknown parameter thousands of characters long is named briefly, at once', () => {
    const t0 = performance.now();
    const u = parseUrl(`?${'x'.repeat(4000)}=1&preset=cdg`);
    // A guard, not a speed figure: it took 13.6 s (edit distance against every known key),
    // now milliseconds; 5 s leaves a loaded machine room.
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(u.notice).toMatch(/unknown parameter "x{40}… \(4000 characters\)"/);
    expect(u.preset).toBe('cdg');
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

describe('the backend in a link', () => {
  it('names one of the four backends; the fallbacks after it follow webgpu → webgl → wasm → cpu', () => {
    expect(parseUrl('?backend=wasm')).toMatchObject({ backend: 'wasm', order: ['wasm', 'cpu'], notice: undefined });
    expect(parseUrl('?backend=webgl').order).toEqual(['webgl', 'wasm', 'cpu']);
    expect(parseUrl('').order).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    const bad = parseUrl('?backend=tpu');
    expect(bad.backend).toBe('auto');
    expect(bad.notice).toMatch(/backend must be auto, webgpu, webgl, wasm or cpu \(got "tpu"\)/);
  });
});
