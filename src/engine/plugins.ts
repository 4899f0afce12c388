// Builds the sparsification plugins a config asks for, in a fixed order (weight masks
// first, then activation gates), so the trainer never names a method.
import type { PluginContext, StepPlugin } from './plugin';

export function createPlugins(ctx: PluginContext): StepPlugin[] {
  const plugins: StepPlugin[] = [];
  if (ctx.config.syncp) throw new Error('SyncCP is not available in this build yet (config.syncp is set)');
  if (ctx.config.cdg) throw new Error('CDG is not available in this build yet (config.cdg is set)');
  return plugins;
}
