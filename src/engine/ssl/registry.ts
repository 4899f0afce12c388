// Every SSL method by name, whole: what the app reads of it (methodInfo.ts, which the page
// imports without tfjs) joined to its code (its file: branches and loss). Adding one: its
// entry in methodInfo.ts, its file (an SslMethodCode), a line here, and its test; the
// config schema, the settings, the loss panel and the export read methodInfo.ts.
import { byol } from './byol';
import type { SslMethod, SslMethodCode } from './method';
import { sslMethodInfo, SSL_METHOD_NAMES, type SslMethodName } from './methodInfo';
import { simclr } from './simclr';
import { simsiam } from './simsiam';

// Every name in methodInfo.ts has its code here, and nothing else (checked by the type).
const CODE = { simclr, byol, simsiam } satisfies Record<SslMethodName, SslMethodCode>;

const METHODS = Object.fromEntries(SSL_METHOD_NAMES.map((name) => [name, { name, ...sslMethodInfo(name), ...CODE[name] }])) as Record<SslMethodName, SslMethod>;

/** A method as the trainer holds it: its name, what the app reads of it, and its code. */
export function sslMethod(name: SslMethodName): SslMethod {
  return METHODS[name];
}
