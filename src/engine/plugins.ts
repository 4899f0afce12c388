// Builds the sparsification plugins a config asks for, in a fixed order (weight masks
// first, then activation gates), so the trainer never names a method.
import type { PluginContext, StepPlugin } from './plugin';
import { CDGPlugin } from './sparsity/cdg';
import { SyncCPPlugin } from './sparsity/syncp';

export function createPlugins(ctx: PluginContext): StepPlugin[] {
  const plugins: StepPlugin[] = [];
  if (ctx.config.syncp) plugins.push(new SyncCPPlugin(ctx));
  if (ctx.config.cdg) plugins.push(new CDGPlugin(ctx));
  checkComposable(plugins);
  return plugins;
}

/**
 * Plugins compose when each hook that decides alone has one owner: two conv hooks (two
 * ways to compute the convolution) or two optimizer update masks would leave one of them
 * silently unused, so that is an error when the run is built. Masks per branch role and
 * metrics combine (CDG gates over SyncCP masks is the combination this allows).
 */
export function checkComposable(plugins: StepPlugin[]): void {
  for (const hook of ['convHook', 'updateMask'] as const) {
    const owners = plugins.filter((p) => typeof p[hook] === 'function').map((p) => p.name);
    if (owners.length > 1) throw new Error(`${owners.join(' and ')} both provide ${hook}: only one sparsifier may ${hook === 'convHook' ? 'replace the convolution' : 'mask the optimizer update'}`);
  }
}
