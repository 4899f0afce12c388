// Every SSL method by name. Adding one: its file (implementing SslMethod), its name in
// names.ts, and a line here.
import { byol } from './byol';
import type { SslMethod } from './method';
import type { SslMethodName } from './names';
import { simclr } from './simclr';
import { simsiam } from './simsiam';

const METHODS: Record<SslMethodName, SslMethod> = { simclr, byol, simsiam };

export function sslMethod(name: SslMethodName): SslMethod {
  return METHODS[name];
}
