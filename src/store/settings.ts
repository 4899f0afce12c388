// UI settings: preset, tiny size, and the editable settings as typed text (which ones,
// their labels and kinds: the settings table). Validated through the config schema on
// every edit; only a valid config is applied.
import { create } from 'zustand';
import type { BackendMode } from './url';
import { buildConfig, ConfigError, mergeConfig, parseConfig, SETTINGS, type Config, type PresetName } from '../engine/config';
import { decodeSetting, encodeSetting, fragmentAt, getAt, type SettingSpec } from '../engine/settingsTable';

/** The settings the compact form shows, from the settings table (`quick` rows). */
export const QUICK_SETTINGS: readonly SettingSpec[] = SETTINGS.filter((s) => s.quick);

/** A quick setting, by its path ('optim.lr'). */
export type FieldName = string;
/** Typed text of each quick setting, by path. */
export type Draft = Record<FieldName, string>;

export interface SettingsState {
  preset: PresetName;
  tiny: boolean;
  draft: Draft;
  /** Inline validation message per setting path; `config` for issues no field owns. */
  issues: Partial<Record<FieldName | 'config', string>>;
  /** The config the worker runs (last valid one). */
  applied: Config;
  /** Set after importing run.json: edits apply over that config instead of a preset. */
  importedBase?: Config;
  importedName?: string;
  /** 'auto' (measure, use the fastest) or the backend the link or the user named. */
  backend: BackendMode;
  urlNotice?: string;
}

export function draftOf(c: Config): Draft {
  return Object.fromEntries(QUICK_SETTINGS.map((s) => [s.path, encodeSetting(getAt(c, s.path))]));
}

/** Draft text → config fragment; text that is not a value of the setting's kind is reported, not guessed. */
function overridesOf(d: Draft): { overrides: Record<string, unknown>; issues: SettingsState['issues'] } {
  const issues: SettingsState['issues'] = {};
  const parts: Record<string, unknown>[] = [];
  for (const spec of QUICK_SETTINGS) {
    const text = d[spec.path];
    if (text === undefined) continue;
    const v = decodeSetting(spec, text);
    if ('error' in v) issues[spec.path] = spec.input === 'number' || spec.input === 'integer' ? 'enter a number' : v.error;
    else parts.push(fragmentAt(spec.path, v.value));
  }
  return { overrides: mergeConfig(...parts), issues };
}

/** Validate a draft against the preset (or the imported config). */
export function evaluate(s: Pick<SettingsState, 'preset' | 'tiny' | 'draft' | 'importedBase'>): { config?: Config; issues: SettingsState['issues'] } {
  const { overrides, issues } = overridesOf(s.draft);
  if (Object.keys(issues).length) return { issues };
  try {
    const config = s.importedBase ? parseConfig(mergeConfig(s.importedBase, overrides)) : buildConfig({ preset: s.preset, tiny: s.tiny, overrides });
    return { config, issues };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const issue of e.issues) {
      const spec = QUICK_SETTINGS.find((f) => issue.startsWith(`${f.path}:`));
      const text = spec ? issue.slice(spec.path.length + 1).trim() : issue;
      const key = spec?.path ?? 'config';
      issues[key] = issues[key] ? `${issues[key]}; ${text}` : text;
    }
    return { issues };
  }
}

const initial = buildConfig();
export const useSettings = create<SettingsState>(() => ({
  preset: 'simclr-dense',
  tiny: false,
  draft: draftOf(initial),
  issues: {},
  applied: initial,
  backend: 'auto',
}));
