// UI settings: preset, tiny size, and the editable fields as typed text. The fields are
// validated through the config schema on every edit; only a valid config is applied.
import { create } from 'zustand';
import type { BackendMode } from './url';
import { buildConfig, ConfigError, mergeConfig, parseConfig, type Config, type PresetName } from '../engine/config';

export type FieldName = 'lr' | 'batchSize' | 'temperature' | 'dataset' | 'steps';
export type Draft = Record<FieldName, string>;

/** Which config path each field edits (issues are matched back to fields by it). */
export const FIELD_PATHS: Record<FieldName, string> = {
  lr: 'optim.lr',
  batchSize: 'batchSize',
  temperature: 'ssl.temperature',
  dataset: 'data.name',
  steps: 'steps',
};

export interface SettingsState {
  preset: PresetName;
  tiny: boolean;
  draft: Draft;
  /** Inline validation message per field; `config` for issues no field owns. */
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
  return {
    lr: String(c.optim.lr),
    batchSize: String(c.batchSize),
    temperature: String(c.ssl.temperature),
    dataset: c.data.name,
    steps: String(c.steps),
  };
}

/** Draft text → config fragment; text that is not a number is reported, not guessed. */
function overridesOf(d: Draft): { overrides: Record<string, unknown>; issues: SettingsState['issues'] } {
  const issues: SettingsState['issues'] = {};
  const num = (f: FieldName) => {
    const s = d[f].trim();
    const v = Number(s);
    if (s === '' || !Number.isFinite(v)) {
      issues[f] = 'enter a number';
      return undefined;
    }
    return v;
  };
  const overrides = mergeConfig(
    { optim: { lr: num('lr') }, batchSize: num('batchSize'), ssl: { temperature: num('temperature') }, steps: num('steps') },
    { data: { name: d.dataset } },
  );
  return { overrides: stripUndefined(overrides), issues };
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? stripUndefined(v as Record<string, unknown>) : v;
  }
  return out;
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
      const field = (Object.keys(FIELD_PATHS) as FieldName[]).find((f) => issue.startsWith(`${FIELD_PATHS[f]}:`));
      const text = field ? issue.slice(FIELD_PATHS[field].length + 1).trim() : issue;
      const key = field ?? 'config';
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
