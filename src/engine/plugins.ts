// Builds the sparsification plugins a config asks for, in a fixed order (weight masks
// first, then activation gates), so the trainer never names a method.
import type { PluginContext, StepPlugin } from './plugin';
import { CDGPlugin } from './sparsity/cdg';
import { SyncCPPlugin } from './sparsity/syncp';

export function createPlugins(ctx: PluginContext): StepPlugin[] {
  const plugins: StepPlugin[] = [];
  if (ctx.config.syncp) plugins.push(new SyncCPPlugin(ctx));
  if (ctx.config.cdg) plugins.push(new CDGPlugin(ctx));
  return plugins;
}
