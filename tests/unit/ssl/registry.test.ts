// Each SSL method's description (label, EMA target, predictor…, in methodInfo.ts) against its code (branches, loss, in its file): every
// registered method has what the settings, the panels and the export read, and its flags
// say what its branches do.
import { describe, expect, it } from 'vitest';
import { buildConfig, settingAt } from '../../../src/engine/config';
import { checkExportable, ExportRefusal } from '../../../src/engine/export/soloLearnSparse';
import { applies } from '../../../src/engine/settingsTable';
import { SSL_METHOD_NAMES, sslMethodInfo } from '../../../src/engine/ssl/methodInfo';
import { sslMethod } from '../../../src/engine/ssl/registry';
import { OPTION_LABELS } from '../../../src/ui/SettingField';

describe('SSL method registry', () => {
  it('every registered method has a label, a summary, loss help, and flags that match its branches', () => {
    const labels = new Set<string>();
    for (const name of SSL_METHOD_NAMES) {
      const m = sslMethod(name);
      expect(m.name).toBe(name);
      for (const text of [m.label, m.summary, m.lossHelp]) expect(text.trim().length, name).toBeGreaterThan(2);
      labels.add(m.label);
      // The flags are read without the code (settings, FLOPs): they must say what the branches do.
      expect(m.emaTarget, name).toBe(m.branches().some((b) => b.network === 'target'));
      expect(m.predictor, name).toBe(m.branches().some((b) => b.predicts));
      expect([null, 'simclr', 'byol']).toContain(m.soloLearn);
      // The settings form shows the label.
      expect(OPTION_LABELS[name]).toBe(m.label);
    }
    expect(labels.size).toBe(SSL_METHOD_NAMES.length);
  });

  it('each method’s loss help describes its own loss: SimSiam’s is not NT-Xent’s', () => {
    const simsiam = sslMethodInfo('simsiam').lossHelp;
    expect(simsiam).not.toBe(sslMethodInfo('simclr').lossHelp);
    expect(simsiam).not.toMatch(/NT-Xent/);
    expect(simsiam).toMatch(/SimSiam/);
    expect(sslMethodInfo('simclr').lossHelp).toMatch(/NT-Xent/);
    expect(sslMethodInfo('byol').lossHelp).toMatch(/BYOL/);
  });

  it('predictor and EMA settings apply to exactly the methods that have one', () => {
    const pred = settingAt('model.predHidden')!;
    const ema = settingAt('ssl.emaStart')!;
    for (const name of SSL_METHOD_NAMES) {
      const c = buildConfig({ overrides: { ssl: { method: name } } });
      const branches = sslMethod(name).branches();
      expect(applies(pred, c), name).toBe(branches.some((b) => b.predicts));
      expect(applies(ema, c), name).toBe(branches.some((b) => b.network === 'target'));
    }
  });

  it('the solo-learn export takes exactly the methods with a recipe (allow-list), and says which', () => {
    // The allow-list, by hand: solo-learn has recipes for these two; every other method is refused.
    const recipes: Record<string, string> = { simclr: 'simclr', byol: 'byol' };
    for (const name of SSL_METHOD_NAMES) {
      const c = buildConfig({ overrides: { ssl: { method: name } } });
      if (recipes[name]) expect(checkExportable(c), name).toBe(recipes[name]);
      else expect(() => checkExportable(c), name).toThrow(ExportRefusal);
    }
    expect(SSL_METHOD_NAMES).toEqual(expect.arrayContaining(['simclr', 'byol']));
    expect(() => checkExportable(buildConfig({ overrides: { ssl: { method: 'simsiam' } } }))).toThrow(/SimSiam cannot be exported yet: this export has recipes for SimCLR and BYOL only/);
  });
});
