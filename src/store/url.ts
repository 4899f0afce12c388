// URL state: ?preset=…&tiny=1&backend=…, and any setting of the settings table by its key
// (lr, batch, temperature, dataset, steps, seed, or the dotted path, e.g. syncp.gap).
// Every value is validated through the config schema, one parameter at a time; a
// malformed URL yields a readable notice and the defaults for what it dropped.
import { BACKEND_ORDER, type BackendName } from '../engine/backendOrder';
import { buildConfig, isPresetName, issueNamedBy, nearest, SETTINGS, type Config, type PresetName } from '../engine/config';
import { clipped, decodeSetting, encodeSetting, fragmentAt, getAt, methodOffFor, type SettingSpec } from '../engine/settingsTable';
import { fitOverrides } from './fitOverrides';
import { useSettings } from './settings';

export interface UrlState {
  preset: PresetName;
  tiny: boolean;
  /** Config fragment from the URL's numeric/enum params (already validated). */
  overrides: Record<string, unknown>;
  order: BackendName[];
  /** 'auto': measure and use the fastest; a name: that backend first, the rest as fallbacks. */
  backend: BackendMode;
  /** ?classroom=1: larger type, fewer controls, guided lessons. */
  classroom: boolean;
  /** Why some of the URL was ignored; undefined when all of it was used. */
  notice?: string;
}

export type BackendMode = 'auto' | BackendName;

/** The backends a worker tries: all of them when measuring, else the named one first. */
export function orderFor(mode: BackendMode): BackendName[] {
  return mode === 'auto' ? BACKEND_ORDER : BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(mode));
}

/** Every parameter the URL may carry: preset, size, backend, classroom mode, and every setting's key. */
const URL_KEYS = ['preset', 'tiny', 'backend', 'classroom', ...SETTINGS.map((s) => s.key)];

export function parseUrl(search: string): UrlState {
  const q = new URLSearchParams(search);
  const problems: string[] = [];
  let preset: PresetName = 'simclr-dense';
  const p = q.get('preset');
  if (p !== null) {
    if (isPresetName(p)) preset = p;
    else problems.push(`unknown preset "${p}"`);
  }
  const t = q.get('tiny');
  const tiny = t === '1' || t === 'true';
  if (t !== null && !['0', '1', 'true', 'false'].includes(t)) problems.push(`tiny must be 0 or 1 (got "${t}")`);

  let backend: BackendMode = 'auto';
  const b = q.get('backend');
  if (b !== null) {
    if (b === 'webgpu' || b === 'webgl' || b === 'wasm' || b === 'cpu' || b === 'auto') backend = b;
    else problems.push(`backend must be auto, webgpu, webgl, wasm or cpu (got "${b}")`);
  }
  const order = orderFor(backend);

  const c = q.get('classroom');
  const classroom = c === '1' || c === 'true';
  if (c !== null && !['0', '1', 'true', 'false'].includes(c)) problems.push(`classroom must be 0 or 1 (got "${c}")`);

  // A parameter this app does not read is reported, with the one it was probably meant to be.
  for (const key of new Set(q.keys())) {
    if (URL_KEYS.includes(key)) continue;
    // A typo is near a known key's length; the edit distance of a long one would take seconds, and its echo a screenful.
    const near = nearest(key, URL_KEYS);
    problems.push(`unknown parameter "${clipped(key)}"${near ? ` (did you mean "${near}"?)` : ''}`);
  }

  // A known key given twice with different values (a link edited by hand): the first is used, and said.
  for (const key of new Set(q.keys())) {
    if (!URL_KEYS.includes(key)) continue;
    const all = q.getAll(key);
    const values = [...new Set(all)];
    if (values.length < 2) continue;
    const shown = values.slice(0, 3).map((v) => `"${clipped(v)}"`).join(', ');
    problems.push(`${key} given ${all.length} times (${shown}${values.length > 3 ? ', …' : ''}): the first is used`);
  }

  const base = buildConfig({ preset, tiny });
  const parts: { spec: SettingSpec; fragment: Record<string, unknown> }[] = [];
  for (const spec of SETTINGS) {
    const raw = q.get(spec.key);
    if (raw === null) continue;
    // A method's setting in a link whose preset does not run that method would switch it on unasked.
    const off = methodOffFor(spec, base);
    if (off) {
      problems.push(`${spec.key} ${off} (preset ${preset})`);
      continue;
    }
    const v = decodeSetting(spec, raw);
    if ('error' in v) problems.push(v.error);
    // Own data is files on the sender's disk: a link that names it would open on an error.
    else if (spec.path === 'data.name' && v.value === 'own') problems.push(`${spec.key}=own needs your own files, which a link cannot carry (choose them under Your own data)`);
    else parts.push({ spec, fragment: fragmentAt(spec.path, v.value) });
  }

  // All together first, else one at a time (fitOverrides says why).
  const { overrides, refused } = fitOverrides(preset, tiny, parts.map((p) => ({ key: p.spec, fragment: p.fragment })));
  for (const [spec, issues] of refused) problems.push(byKey(spec, issues));
  return {
    preset,
    tiny,
    overrides,
    order,
    backend,
    classroom,
    notice: problems.length ? `Ignored part of the link: ${problems.join('; ')}. Using defaults for those.` : undefined,
  };
}

/**
 * A value the schema refused, named by the key the link used ('lr', not 'optim.lr'), all
 * its issues in one problem (a value can break a rule that involves another setting).
 */
function byKey(spec: SettingSpec, issues: string[]): string {
  // Every setting an issue names, by its key: a rule between two settings names the other one
  // ('batchSize: the batch cannot be larger…' is the link's 'batch').
  const named = issues.map((i) => issueNamedBy(i, (s) => s.key)).join(', ');
  return named.startsWith(spec.key) ? named : `${spec.key}: ${named}`;
}

/**
 * The shareable search string of a run: the preset, and every setting that differs from it.
 * Classroom mode stays in the link (by default: as the settings store has it).
 */
export function toSearch(preset: PresetName, tiny: boolean, config: Config, backend: BackendMode, classroom: boolean = useSettings.getState().classroom): string {
  const base = buildConfig({ preset, tiny });
  const q = new URLSearchParams();
  q.set('preset', preset);
  if (tiny) q.set('tiny', '1');
  for (const spec of SETTINGS) {
    const v = getAt(config, spec.path);
    const presetValue = getAt(base, spec.path);
    // An empty list of an optional setting (strides: [] from a run.json or a config file) is
    // the default, as unset is: written as "model.strides=" it would not read back.
    if (v === undefined || (Array.isArray(v) && v.length === 0 && presetValue === undefined) || methodOffFor(spec, config)) continue;
    if (JSON.stringify(v) !== JSON.stringify(presetValue)) q.set(spec.key, encodeSetting(v));
  }
  if (backend !== 'auto') q.set('backend', backend);
  if (classroom) q.set('classroom', '1');
  return `?${q.toString()}`;
}
