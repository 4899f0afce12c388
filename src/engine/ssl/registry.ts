// Every SSL method by name. Adding one: its file (an SslMethodDefinition: what the app
// reads of it and its code), a line here, and its test; the config schema, the settings
// (which settings apply to it), the loss panel and the export read it from here.
import { byol } from './byol';
import type { SslMethod, SslMethodDefinition, SslMethodInfo } from './method';
import { simclr } from './simclr';
import { simsiam } from './simsiam';

const DEFINITIONS = { simclr, byol, simsiam } satisfies Record<string, SslMethodDefinition>;

export type SslMethodName = keyof typeof DEFINITIONS;
/** The names in table order (a tuple, as z.enum wants). */
export const SSL_METHOD_NAMES = Object.keys(DEFINITIONS) as [SslMethodName, ...SslMethodName[]];

const METHODS = Object.fromEntries(SSL_METHOD_NAMES.map((name) => [name, { name, ...DEFINITIONS[name] }])) as Record<SslMethodName, SslMethod>;

export function sslMethod(name: SslMethodName): SslMethod {
  return METHODS[name];
}

/** What the app reads of a method (label, loss help, EMA target, predictor, export). */
export function sslMethodInfo(name: SslMethodName): SslMethodInfo {
  return METHODS[name];
}

/** The methods for which `has` holds, by label ("BYOL and SimSiam"). */
export function methodLabelsWhere(has: (m: SslMethodInfo) => boolean): string {
  const labels = SSL_METHOD_NAMES.map(sslMethodInfo).filter(has).map((m) => m.label);
  return labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}` : (labels[0] ?? 'no method');
}
