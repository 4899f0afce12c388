// The settings panel is generated from the settings table: every row is shown under exactly
// one topic, and a row that does not apply says why.
import { describe, expect, it } from 'vitest';
import { buildConfig, PRESET_NAMES, SETTINGS } from '../../../src/engine/config';
import { applies } from '../../../src/engine/settingsTable';
import { networkSpec } from '../../../src/engine/nn/network';
import { groupedSettings, issuesNotShown, methodOffReason, methodOn, TOPICS, topicOf } from '../../../src/ui/settingsGroups';
import { whyNotApplies } from '../../../src/engine/settingsTable';

describe('settings panel topics', () => {
  it('cover every SETTINGS row exactly once', () => {
    const shown = groupedSettings().flatMap((g) => g.settings.map((s) => s.path));
    expect(shown.sort()).toEqual(SETTINGS.map((s) => s.path).sort());
    expect(new Set(shown).size).toBe(shown.length);
    for (const s of SETTINGS) expect(topicOf(s), s.path).toBeDefined();
  });

  it('has the seven topics of the issue, none empty', () => {
    expect(TOPICS.map((t) => t.id)).toEqual(['ssl', 'model', 'data', 'optim', 'syncp', 'cdg', 'eval']);
    for (const g of groupedSettings()) expect(g.settings.length, g.topic.id).toBeGreaterThan(0);
  });

  it('puts a method’s settings under that method’s topic only', () => {
    for (const g of groupedSettings()) {
      for (const s of g.settings) {
        if (s.method) expect(g.topic.method, s.path).toBe(s.method);
        else expect(g.topic.method, s.path).toBeUndefined();
      }
    }
  });

  it('gives a reason exactly when a setting does not apply, for every preset', () => {
    for (const preset of PRESET_NAMES) {
      const config = buildConfig({ preset, tiny: true }) as unknown as Record<string, unknown>;
      for (const s of SETTINGS) {
        const why = whyNotApplies(s, config);
        if (applies(s, config)) expect(why, `${preset} ${s.path}`).toBeUndefined();
        else expect(why, `${preset} ${s.path}`).toMatch(/\w/);
      }
    }
  });

  it('offers SyncCP and CDG settings only where the method is on', () => {
    expect(methodOn('syncp', buildConfig({ preset: 'simclr-dense' }))).toBe(false);
    expect(methodOn('syncp', buildConfig({ preset: 'syncp-2of4' }))).toBe(true);
    expect(methodOn('cdg', buildConfig({ preset: 'cdg' }))).toBe(true);
    expect(methodOn('cdg', buildConfig({ preset: 'byol-dense' }))).toBe(false);
    expect(methodOffReason('syncp', false)).toContain('SyncCP is off in this preset');
  });

  it('names the option a greyed setting needs', () => {
    const byol = buildConfig({ preset: 'syncp-unstructured', tiny: true }) as unknown as Record<string, unknown>;
    const spec = (p: string) => SETTINGS.find((s) => s.path === p)!;
    expect(whyNotApplies(spec('ssl.temperature'), byol)).toContain('SimCLR');
    expect(whyNotApplies(spec('syncp.n'), byol)).toContain('N:M');
    expect(whyNotApplies(spec('syncp.regrowth.enabled'), byol)).toBeUndefined();
    // The rate is read only with regrowth on (syncp.ts), so it is greyed until Regrowth is ticked.
    expect(whyNotApplies(spec('syncp.regrowth.rate'), byol)).toBe('used with Regrowth on only');
    const regrowing = buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { syncp: { regrowth: { enabled: true } } } }) as unknown as Record<string, unknown>;
    expect(whyNotApplies(spec('syncp.regrowth.rate'), regrowing)).toBeUndefined();
    // Under another granularity the reason is the granularity (regrowth cannot be on there).
    expect(whyNotApplies(spec('syncp.regrowth.rate'), buildConfig({ preset: 'syncp-2of4', tiny: true }) as unknown as Record<string, unknown>)).toBe('used with unstructured granularity only');
  });

  it('greys what a set predictor or N:M never reads: the MLP predictor’s width and rate, the layer budget', () => {
    const spec = (p: string) => SETTINGS.find((s) => s.path === p)!;
    const set = buildConfig({ preset: 'byol-dense', tiny: true, overrides: { ssl: { predictor: 'directpred' } } });
    // The network has no trained predictor then: its width changes nothing.
    const a = networkSpec(set, 16, 16, 1);
    const b = networkSpec({ ...set, model: { ...set.model, predHidden: set.model.predHidden * 2 } }, 16, 16, 1);
    expect(a.predictor).toBeUndefined();
    expect(b).toEqual(a);
    for (const p of ['model.predHidden', 'ssl.predictorLrScale', 'ssl.predictorLrSchedule']) {
      expect(whyNotApplies(spec(p), set), p).toContain('predictor MLP');
      expect(whyNotApplies(spec(p), buildConfig({ preset: 'byol-dense', tiny: true })), p).toBeUndefined();
    }
    expect(whyNotApplies(spec('ssl.predictorEps'), set)).toBeUndefined();
    // Under SimCLR (no predictor at all) the reason is the method, as for the Predictor field itself.
    const simclr = buildConfig({ preset: 'simclr-dense', tiny: true });
    for (const p of ['model.predHidden', 'ssl.predictorLrScale', 'ssl.predictorEps', 'ssl.predictor']) expect(whyNotApplies(spec(p), simclr), p).toMatch(/^used by BYOL and SimSiam only/);
    expect(whyNotApplies(spec('syncp.layerBudget'), buildConfig({ preset: 'syncp-2of4' }))).toContain('N:M');
    expect(whyNotApplies(spec('syncp.layerBudget'), buildConfig({ preset: 'syncp-unstructured' }))).toBeUndefined();
  });

  it('names the settings a form does not show when a change is refused for them', async () => {
    // The reported case: held-out images raised to 5000 on shapes, then Dataset → Fashion-MNIST
    // in the main column, which shows Dataset but not Held-out images.
    const { evaluate, draftOf } = await import('../../../src/store/settings');
    const base = buildConfig({ preset: 'simclr-dense' });
    const draft = { ...draftOf(base), 'data.testCount': '5000', 'data.name': 'fashion-mnist' };
    const { config, issues } = evaluate({ preset: 'simclr-dense', tiny: false, draft, importedBase: undefined });
    expect(config).toBeUndefined();
    const main = ['data.name', 'steps'];
    const lines = issuesNotShown(issues, main);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Held-out images \(All settings\): .*Fashion-MNIST ships 2000/);
    // Shown where the form has the field: nothing repeated.
    expect(issuesNotShown(issues, [...main, 'data.testCount'])).toEqual([]);
    expect(issuesNotShown({ config: 'the initial density must be ≥ the final density' }, main)).toEqual(['the initial density must be ≥ the final density']);
  });
});

