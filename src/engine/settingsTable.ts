// Every config field, described once: its schema (validation and default), label, help
// text, unit, URL key, CLI flag, when it applies and whether changing it restarts the
// run. The zod ConfigSchema is built from this table (config.ts), and the URL codec,
// the CLI flags, the settings form and the validation messages read it. Adding a
// setting is one row here (plus the code that uses its value).
import { z } from 'zod';
import { methodLabelsWhere, SSL_METHOD_NAMES, sslMethodInfo, type SslMethodName } from './ssl/methodInfo';

/** When a setting means something: always, or only for some methods and options ('ema-target', 'predictor': the SSL methods that have one, ssl/registry.ts). */
export type Applies = 'always' | 'simclr' | 'ema-target' | 'predictor' | 'predictor-mlp' | 'direct-predictor' | 'syncp' | 'syncp-nm' | 'syncp-density' | 'syncp-channel' | 'syncp-unstructured' | 'syncp-regrowth' | 'cdg' | 'cdg-learned' | 'cdg-groups';

export interface SettingMeta {
  label: string;
  help: string;
  unit?: string;
  /** URL parameter (and CLI flag without its dashes); default: the dotted path. */
  key?: string;
  applies?: Applies;
  /** Shown in the compact settings column (the rest live in the full settings panel). */
  quick?: boolean;
  /** False when a running run can take the new value without restarting (none yet). */
  restart?: boolean;
  /** Step of a number input. */
  step?: number;
}

export interface Leaf<S extends z.ZodType = z.ZodType> {
  kind: 'leaf';
  schema: S;
  meta: SettingMeta;
}

type Fields = { [name: string]: Leaf | Group };

export interface Group<F extends Fields = Fields, N extends boolean = boolean> {
  kind: 'group';
  fields: F;
  nullable: N;
  /** A method's group (nullable): how people read the method's name ('SyncCP'). */
  label?: string;
  /** Checks across fields of this group: [message, path below the group, predicate that must hold]. */
  checks: [string, string[], (v: Record<string, unknown>) => boolean][];
}

export function setting<S extends z.ZodType>(schema: S, meta: SettingMeta): Leaf<S> {
  return { kind: 'leaf', schema, meta };
}

export function group<F extends Fields>(fields: F, checks: Group['checks'] = []): Group<F, false> {
  return { kind: 'group', fields, nullable: false, checks };
}

/** A method's settings (`label`: the method's name as people read it): null (method off) by default, its fields' defaults once it is on. */
export function methodGroup<F extends Fields>(label: string, fields: F, checks: Group['checks'] = []): Group<F, true> {
  return { kind: 'group', fields, nullable: true, checks, label };
}

type ObjectOf<F extends Fields> = z.ZodObject<{ [K in keyof F]: SchemaOf<F[K]> }, z.core.$strict>;
export type SchemaOf<N> = N extends Leaf<infer S>
  ? S
  : N extends Group<infer F, infer Nl>
    ? Nl extends true
      ? z.ZodDefault<z.ZodNullable<ObjectOf<F>>>
      : z.ZodPrefault<ObjectOf<F>>
    : never;

function objectOf(g: Group): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, node] of Object.entries(g.fields)) shape[name] = schemaOf(node);
  let obj = z.strictObject(shape);
  for (const [message, path, holds] of g.checks) obj = obj.refine((v) => holds(v as Record<string, unknown>), { message, path }) as unknown as typeof obj;
  return obj;
}

function schemaOf(node: Leaf | Group): z.ZodType {
  if (node.kind === 'leaf') return node.schema;
  const obj = objectOf(node);
  return node.nullable ? obj.nullable().default(null) : obj.prefault({});
}

/** The root object schema of a table (strict at every level). */
export function buildSchema<F extends Fields>(fields: F, checks: Group['checks'] = []): ObjectOf<F> {
  return objectOf(group(fields, checks)) as unknown as ObjectOf<F>;
}

/** One row of the flattened table. */
export interface SettingSpec extends SettingMeta {
  /** Dotted path in the config, e.g. 'optim.lr'. */
  path: string;
  key: string;
  /** The group's path when the setting belongs to a method that may be off ('syncp', 'cdg'). */
  method?: string;
  /** That method's name as people read it ('SyncCP'). */
  methodLabel?: string;
  input: 'number' | 'integer' | 'select' | 'checkbox' | 'list';
  options?: string[];
  /** Bounds of a number (inclusive or not: the schema says), for the input's min/max. */
  min?: number;
  max?: number;
  schema: z.ZodType;
}

/** The table as rows, in table order. */
export function flatten(fields: Fields, prefix = '', method?: { path: string; label?: string }): SettingSpec[] {
  const out: SettingSpec[] = [];
  for (const [name, node] of Object.entries(fields)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (node.kind === 'group') {
      out.push(...flatten(node.fields, path, node.nullable ? { path, label: node.label } : method));
      continue;
    }
    out.push({ ...node.meta, path, key: node.meta.key ?? path, method: method?.path, methodLabel: method?.label, ...inputOf(node.schema), schema: node.schema });
  }
  return out;
}

/** A zod schema as inputOf reads it; `minValue`/`maxValue`: a ZodNumber's bounds (null: none). */
type Zod = { _zod: { def: Def }; minValue?: number | null; maxValue?: number | null };
type Def = { type: string; innerType?: Zod; entries?: Record<string, string>; element?: unknown; checks?: { _zod: { def: { check: string; format?: string } } }[]; format?: string };

/** Which input edits a schema, with a number's bounds (unwrapping defaults and optionals). */
function inputOf(schema: z.ZodType): Pick<SettingSpec, 'input' | 'options' | 'min' | 'max'> {
  let s = schema as unknown as Zod;
  while (s._zod.def.innerType) s = s._zod.def.innerType;
  const def = s._zod.def;
  if (def.type === 'enum') return { input: 'select', options: Object.values(def.entries ?? {}) };
  if (def.type === 'boolean') return { input: 'checkbox' };
  if (def.type === 'array') return { input: 'list' };
  const integer = def.format === 'safeint' || (def.checks ?? []).some((c) => c._zod.def.format === 'safeint' || c._zod.def.check === 'number_format');
  // An integer without its own bound reports the safe-integer range: no bound to show.
  const bound = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined);
  return { input: integer ? 'integer' : 'number', min: bound(s.minValue), max: bound(s.maxValue) };
}

/** The value at a dotted path (undefined where a group on the way is null or missing). */
export function getAt(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A config fragment that sets `path` to `value`: { optim: { lr: 0.01 } }. */
export function fragmentAt(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, k) => ({ [k]: inner }), value) as Record<string, unknown>;
}

/** A number as people write one: decimal, with an optional exponent (Number() also takes 0x10, 0b11 and 0o17). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Text (URL, CLI, form) → the setting's value type; a message when it is not one. */
export function decodeSetting(spec: SettingSpec, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  switch (spec.input) {
    case 'checkbox':
      if (['1', 'true', 'on'].includes(t)) return { value: true };
      if (['0', 'false', 'off'].includes(t)) return { value: false };
      return { error: `${spec.key} must be 0 or 1 (got "${text}")` };
    case 'select':
      return spec.options?.includes(t) ? { value: t } : { error: `${spec.key} must be one of ${spec.options?.join(', ')} (got "${text}")` };
    case 'list': {
      const parts = t.split(',').map((p) => p.trim());
      const nums = parts.map(Number);
      if (t === '' || parts.some((p) => !DECIMAL.test(p)) || nums.some((n) => !Number.isFinite(n))) return { error: `${spec.key} must be numbers separated by commas (got "${text}")` };
      return { value: nums };
    }
    default: {
      const v = Number(t);
      if (!DECIMAL.test(t) || !Number.isFinite(v)) return { error: `${spec.key} must be a number (got "${text}")` };
      return { value: v };
    }
  }
}

/** A setting's value as text for the URL, the CLI and the form. */
export function encodeSetting(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

/** A setting without a default: empty text leaves it unset. */
export function isOptionalSetting(spec: SettingSpec): boolean {
  const r = spec.schema.safeParse(undefined);
  return r.success && r.data === undefined;
}

/** When `spec` means something: its own `applies`, else its method's ('syncp', 'cdg'), else always. */
export function appliesOf(spec: SettingSpec): Applies {
  return spec.applies ?? (spec.method === 'syncp' || spec.method === 'cdg' ? spec.method : 'always');
}

/** Whether `spec` means something for `config` (its method is on and its option is in use). */
export function applies(spec: SettingSpec, config: object): boolean {
  const c = config as Record<string, unknown>;
  const syncp = c.syncp as Record<string, unknown> | null | undefined;
  const cdg = c.cdg as Record<string, unknown> | null | undefined;
  const name = (c.ssl as Record<string, unknown> | undefined)?.method;
  const method = typeof name === 'string' && (SSL_METHOD_NAMES as readonly string[]).includes(name) ? sslMethodInfo(name as SslMethodName) : undefined;
  switch (appliesOf(spec)) {
    case 'always':
      return true;
    case 'simclr':
      return name === 'simclr';
    case 'ema-target':
      return !!method?.emaTarget;
    case 'predictor':
      return !!method?.predictor;
    case 'predictor-mlp':
      return !!method?.predictor && (c.ssl as Record<string, unknown> | undefined)?.predictor === 'mlp';
    case 'direct-predictor':
      return !!method?.predictor && (c.ssl as Record<string, unknown> | undefined)?.predictor !== 'mlp';
    case 'syncp':
      return !!syncp;
    case 'syncp-nm':
      return syncp?.granularity === 'nm';
    case 'syncp-density':
      return !!syncp && syncp.granularity !== 'nm';
    case 'syncp-channel':
      return syncp?.granularity === 'channel';
    case 'syncp-unstructured':
      return syncp?.granularity === 'unstructured';
    case 'syncp-regrowth':
      return syncp?.granularity === 'unstructured' && !!(syncp.regrowth as { enabled?: boolean } | undefined)?.enabled;
    case 'cdg':
      return !!cdg;
    case 'cdg-learned':
      return cdg?.threshold === 'learned';
    case 'cdg-groups':
      return cdg?.saliency === 'channel-group';
  }
}

/** Why a row of each kind may not apply (the method or option it needs). */
const NEEDS: Record<Applies, string> = {
  always: '',
  simclr: 'used by SimCLR only',
  'ema-target': `used by ${methodLabelsWhere((m) => m.emaTarget)} only (the EMA target)`,
  predictor: `used by ${methodLabelsWhere((m) => m.predictor)} only (the methods with a predictor)`,
  'predictor-mlp': 'used by a trained predictor MLP only (Predictor: mlp)',
  'direct-predictor': 'used by a predictor set from the correlation matrix only (DirectCopy, DirectPred)',
  syncp: 'SyncCP is off',
  'syncp-nm': 'used with N:M granularity only',
  'syncp-density': 'not used with N:M granularity (the online branch ends fully N:M)',
  'syncp-channel': 'used with channel granularity only',
  'syncp-unstructured': 'used with unstructured granularity only',
  'syncp-regrowth': 'used with Regrowth on only',
  cdg: 'CDG is off',
  'cdg-learned': 'used with the learned threshold only',
  'cdg-groups': 'used with channel-group saliency only',
};

/** Why `spec` does not apply to `config`, or undefined when it does. */
export function whyNotApplies(spec: SettingSpec, config: object): string | undefined {
  if (applies(spec, config)) return undefined;
  const needs = appliesOf(spec);
  // A rule about which predictor: under a method with none, that is the reason to give.
  if ((needs === 'predictor-mlp' || needs === 'direct-predictor') && !applies({ ...spec, applies: 'predictor' }, config)) return NEEDS.predictor;
  if (needs === 'syncp-regrowth' && !applies({ ...spec, applies: 'syncp-unstructured' }, config)) return NEEDS['syncp-unstructured'];
  return NEEDS[needs] || 'not used with these settings';
}

/**
 * Why `spec` may not be given for `config` (the preset's, before the setting is applied):
 * a setting of a method that is off would switch that method on unasked. URL, CLI and form
 * all refuse it with this message; undefined when it may be given.
 */
export function methodOffFor(spec: SettingSpec, config: object): string | undefined {
  if (!spec.method || getAt(config, spec.method) !== null) return undefined;
  return `applies only when ${spec.methodLabel ?? spec.method} is on`;
}

/** Text quoted in a message, cut to `max` characters: a hostile file's 10 MB value must not become a 10 MB banner. */
export function clipped(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** A zod issue as a person reads it, using the setting's label and what was given. */
export function describeIssue(label: string, iss: { code: string; input?: unknown; minimum?: unknown; maximum?: unknown; inclusive?: boolean; expected?: string; origin?: string; values?: unknown[] }): string | undefined {
  const got = iss.input === undefined ? '' : ` (got ${clipped(JSON.stringify(iss.input) ?? String(iss.input))})`;
  switch (iss.code) {
    case 'too_small':
      return iss.origin === 'array' ? `${label} needs at least ${iss.minimum} ${iss.minimum === 1 ? 'entry' : 'entries'}${got}` : `${label} must be ${iss.inclusive ? '≥' : '>'} ${iss.minimum}${got}`;
    case 'too_big':
      return iss.origin === 'array' ? `${label} takes at most ${iss.maximum} ${iss.maximum === 1 ? 'entry' : 'entries'}${got}` : `${label} must be ${iss.inclusive ? '≤' : '<'} ${iss.maximum}${got}`;
    case 'invalid_type':
      return iss.expected === 'int' ? `${label} must be a whole number${got}` : `${label} must be a ${iss.expected}${got}`;
    case 'invalid_value':
      return `${label} must be one of ${(iss.values ?? []).map(String).join(', ')}${got}`;
    default:
      return undefined;
  }
}
