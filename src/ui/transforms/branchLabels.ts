import { sslMethodInfo, type SslMethodName } from '../../engine/ssl/methodInfo';

/**
 * What the two bars compare: the two views through one network, or, with an EMA target
 * (BYOL), the online and the target network, each over both views (cdg.ts gateDensity).
 */
export function branchLabels(method: SslMethodName): [string, string] {
  return sslMethodInfo(method).emaTarget ? ['online network (both views)', 'target network (both views)'] : ['branch 1 (view 1)', 'branch 2 (view 2)'];
}
