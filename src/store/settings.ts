// UI settings: preset, tiny size, and every setting of the settings table as typed text
// (the compact form shows the `quick` rows, the settings panel all of them). Validated
// through the config schema on every edit; only a valid config is applied.
import { create } from 'zustand';
import type { BackendMode } from './url';
import { buildConfig, ConfigError, mergeConfig, parseConfig, SETTINGS, type Config, type PresetName } from '../engine/config';
import { decodeSetting, encodeSetting, fragmentAt, getAt, isOptionalSetting, methodOffFor, type SettingSpec } from '../engine/settingsTable';

/** The settings the compact form shows, from the settings table (`quick` rows). */
export const QUICK_SETTINGS: readonly SettingSpec[] = SETTINGS.filter((s) => s.quick);

/** A setting, by its path ('optim.lr'). */
export type FieldName = string;
/** Typed text of each setting, by path (a setting of a method that is off has none). */
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
  /** Classroom mode (?classroom=1): larger type, fewer controls, guided lessons. */
  classroom: boolean;
  /**
   * Settings a person set (typed, or named by a link or a lesson) since the draft was last
   * replaced: the Tiny toggle keeps them over the other size even when one equals the value
   * of the size it leaves (a difference from that size alone would forget it).
   */
  edited: FieldName[];
}

/** The settings `overrides` names (a link's or a lesson's), as paths of the settings table. */
export function namedSettings(overrides: Record<string, unknown> | undefined): FieldName[] {
  if (!overrides) return [];
  return SETTINGS.filter((spec) => getAt(overrides as never, spec.path) !== undefined).map((spec) => spec.path);
}

/** Every setting of `c` as text; a method that is off (null) contributes none of its settings. */
export function draftOf(c: Config): Draft {
  const out: Draft = {};
  for (const spec of SETTINGS) {
    if (methodOffFor(spec, c)) continue;
    const v = getAt(c, spec.path);
    out[spec.path] = v === undefined ? '' : encodeSetting(v);
  }
  return out;
}

/**
 * Draft text → config fragment; text that is not a value of the setting's kind is reported,
 * not guessed. A setting of a method that is off in `base` is refused: editing it must not
 * switch the method on (the URL codec refuses it the same way).
 */
export function overridesOf(d: Draft, base: Config): { overrides: Record<string, unknown>; issues: SettingsState['issues'] } {
  const issues: SettingsState['issues'] = {};
  const parts: Record<string, unknown>[] = [];
  for (const spec of SETTINGS) {
    const text = d[spec.path];
    if (text === undefined) continue;
    const off = methodOffFor(spec, base);
    if (off) {
      issues[spec.path] = off;
      continue;
    }
    // Empty: unset, also over an imported run's value (skipped, that value stayed in force).
    if (text.trim() === '' && isOptionalSetting(spec)) {
      parts.push(fragmentAt(spec.path, undefined));
      continue;
    }
    const v = decodeSetting(spec, text);
    if ('error' in v) issues[spec.path] = spec.input === 'number' || spec.input === 'integer' ? 'enter a number' : spec.input === 'list' ? 'enter numbers separated by commas, e.g. 16,32,64' : v.error;
    else parts.push(fragmentAt(spec.path, v.value));
  }
  return { overrides: mergeConfig(...parts), issues };
}

/** Validate a draft against the preset (or the imported config). */
export function evaluate(s: Pick<SettingsState, 'preset' | 'tiny' | 'draft' | 'importedBase'>): { config?: Config; issues: SettingsState['issues'] } {
  const { overrides, issues } = overridesOf(s.draft, s.importedBase ?? buildConfig({ preset: s.preset, tiny: s.tiny }));
  if (Object.keys(issues).length) return { issues };
  try {
    const config = s.importedBase ? parseConfig(mergeConfig(s.importedBase, overrides)) : buildConfig({ preset: s.preset, tiny: s.tiny, overrides });
    return { config, issues };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const issue of e.issues) {
      // 'model.widths.0: …' belongs to model.widths (an entry of the list).
      const spec = SETTINGS.find((f) => issue.startsWith(`${f.path}:`) || issue.startsWith(`${f.path}.`));
      const text = spec ? issue.slice(issue.indexOf(':') + 1).trim() : issue;
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
  classroom: false,
  edited: [],
}));
