// The SSL methods' names, apart from their code: the config schema (which the page loads
// without tfjs) lists them, the registry (registry.ts) maps each to its implementation.
export const SSL_METHOD_NAMES = ['simclr', 'byol', 'simsiam'] as const;
export type SslMethodName = (typeof SSL_METHOD_NAMES)[number];
