// Every SSL method by name: its entry in names.ts joined with its code. Adding one: its
// entry in names.ts, its file (implementing SslMethodCode), a line here, and its test.
import { byol } from './byol';
import type { SslMethod, SslMethodCode } from './method';
import { SSL_METHOD_NAMES, sslMethodInfo, type SslMethodName } from './names';
import { simclr } from './simclr';
import { simsiam } from './simsiam';

const CODE: Record<SslMethodName, SslMethodCode> = { simclr, byol, simsiam };

const METHODS = Object.fromEntries(SSL_METHOD_NAMES.map((name) => [name, { name, ...sslMethodInfo(name), ...CODE[name] }])) as Record<SslMethodName, SslMethod>;

export function sslMethod(name: SslMethodName): SslMethod {
  return METHODS[name];
}
