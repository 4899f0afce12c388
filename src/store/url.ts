// URL state: ?preset=…&tiny=1&lr=…&batch=…&temperature=…&dataset=…&steps=…&seed=…&backend=…
// Every value is validated through the config schema; a malformed URL yields a
// readable notice and the defaults, never a broken run.
import type { BackendName } from '../engine/backend';
import { BACKEND_ORDER } from './backendOrder';
import { buildConfig, ConfigError, isPresetName, nearest, type Config, type PresetName } from '../engine/config';

export interface UrlState {
  preset: PresetName;
  tiny: boolean;
  /** Config fragment from the URL's numeric/enum params (already validated). */
  overrides: Record<string, unknown>;
  order: BackendName[];
  /** 'auto': measure and use the fastest; a name: that backend first, the rest as fallbacks. */
  backend: BackendMode;
  /** Why some of the URL was ignored; undefined when all of it was used. */
  notice?: string;
}

const NUMERIC: Record<string, (v: number) => Record<string, unknown>> = {
  lr: (v) => ({ optim: { lr: v } }),
  batch: (v) => ({ batchSize: v }),
  temperature: (v) => ({ ssl: { temperature: v } }),
  steps: (v) => ({ steps: v }),
  seed: (v) => ({ seed: v }),
};

export type BackendMode = 'auto' | BackendName;

/** The backends a worker tries: all of them when measuring, else the named one first. */
export function orderFor(mode: BackendMode): BackendName[] {
  return mode === 'auto' ? BACKEND_ORDER : BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(mode));
}

/** Every parameter the URL may carry. */
const URL_KEYS = ['preset', 'tiny', 'backend', 'dataset', ...Object.keys(NUMERIC)];

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
    if (b === 'webgpu' || b === 'webgl' || b === 'cpu' || b === 'auto') backend = b;
    else problems.push(`backend must be auto, webgpu, webgl or cpu (got "${b}")`);
  }
  const order = orderFor(backend);

  const parts: Record<string, unknown>[] = [];
  for (const [key, make] of Object.entries(NUMERIC)) {
    const raw = q.get(key);
    if (raw === null) continue;
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) problems.push(`${key} must be a number (got "${raw}")`);
    else parts.push(make(v));
  }
  // A parameter this app does not read is reported, with the one it was probably meant to be.
  for (const key of new Set(q.keys())) {
    if (URL_KEYS.includes(key)) continue;
    const near = nearest(key, URL_KEYS);
    problems.push(`unknown parameter "${key}"${near ? ` (did you mean "${near}"?)` : ''}`);
  }
  const ds = q.get('dataset');
  if (ds !== null) parts.push({ data: { name: ds } });

  // Validate each parameter on its own so one bad value does not discard the good ones.
  let overrides: Record<string, unknown> = {};
  for (const part of parts) {
    try {
      buildConfig({ preset, tiny, overrides: deepMerge(overrides, part) });
      overrides = deepMerge(overrides, part);
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.issues);
      else throw e;
    }
  }
  return {
    preset,
    tiny,
    overrides,
    order,
    backend,
    notice: problems.length ? `Ignored part of the link: ${problems.join('; ')}. Using defaults for those.` : undefined,
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The shareable search string of a run: only what differs from the preset's own values. */
export function toSearch(preset: PresetName, tiny: boolean, config: Config, backend: BackendMode): string {
  const base = buildConfig({ preset, tiny });
  const q = new URLSearchParams();
  q.set('preset', preset);
  if (tiny) q.set('tiny', '1');
  if (config.optim.lr !== base.optim.lr) q.set('lr', String(config.optim.lr));
  if (config.batchSize !== base.batchSize) q.set('batch', String(config.batchSize));
  if (config.ssl.temperature !== base.ssl.temperature) q.set('temperature', String(config.ssl.temperature));
  if (config.data.name !== base.data.name) q.set('dataset', config.data.name);
  if (config.steps !== base.steps) q.set('steps', String(config.steps));
  if (config.seed !== base.seed) q.set('seed', String(config.seed));
  if (backend !== 'auto') q.set('backend', backend);
  return `?${q.toString()}`;
}
