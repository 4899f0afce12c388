// Builds the sparsification plugins a config asks for, in a fixed order (weight masks
// first, then activation gates), so the trainer never names a method.
import type { BranchRole, PluginContext, StepPlugin } from './plugin';
import { CDGPlugin } from './sparsity/cdg';
import { SyncCPPlugin } from './sparsity/syncp';

export function createPlugins(ctx: PluginContext): StepPlugin[] {
  const plugins: StepPlugin[] = [];
  if (ctx.config.syncp) plugins.push(new SyncCPPlugin(ctx));
  if (ctx.config.cdg) plugins.push(new CDGPlugin(ctx));
  checkComposable(plugins);
  return plugins;
}

const ROLES: readonly BranchRole[] = ['online', 'target', 'first', 'second'];

/**
 * Plugins compose when each thing that is decided alone has one owner: two conv hooks (two
 * ways to compute the convolution), two optimizer update masks, or two masks on one layer
 * would leave one of them silently unused, so that is an error when the run is built.
 * Masks on different layers and metrics under different names combine (CDG gates over
 * SyncCP masks is the combination this allows). The names of read-back metrics and of
 * reported row fields are known only once a step ran: the trainer merges them with
 * mergeOwned (row fields) or an OwnedMerge (metrics, every step), which refuse a name given
 * twice in the same way.
 */
export function checkComposable(plugins: StepPlugin[]): void {
  for (const hook of ['convHook', 'updateMask'] as const) {
    const owners = plugins.filter((p) => typeof p[hook] === 'function').map((p) => p.name);
    if (owners.length > 1) throw new Error(`${owners.join(' and ')} both provide ${hook}: only one sparsifier may ${hook === 'convHook' ? 'replace the convolution' : 'mask the optimizer update'}`);
  }
  for (const role of ROLES) mergeOwned('mask layer', plugins.map((p) => [p.name, p.masks?.(role)]));
}

/**
 * The union of records given by named owners, refusing a key two owners give (the second
 * would silently replace the first). `taken`: keys already owned (e.g. the row fields the
 * trainer writes itself), by owner.
 */
export function mergeOwned<T>(what: string, parts: readonly (readonly [owner: string, record: Record<string, T> | undefined])[], taken: Readonly<Record<string, string>> = {}): Record<string, T> {
  const out: Record<string, T> = {};
  const owner = new Map(Object.entries(taken));
  for (const [name, record] of parts) {
    if (!record) continue;
    for (const [key, value] of Object.entries(record)) {
      const first = owner.get(key);
      if (first !== undefined) throw new Error(`${first} and ${name} both give the ${what} "${key}": plugins must not overwrite each other's ${what}s`);
      owner.set(key, name);
      out[key] = value;
    }
  }
  return out;
}

/**
 * mergeOwned for records given again and again (the metrics of every readback): a key's owner
 * is checked and fixed the first time the key is given; from then on the key costs one lookup.
 * Refuses, with mergeOwned's error, a key two owners give in one call and a key given by
 * another owner than the one that first gave it (its reader would get the other's numbers).
 */
export class OwnedMerge {
  private readonly owner: Map<string, string>;
  /** `taken`: keys owned from the start (e.g. the row fields the trainer writes itself), by owner. */
  constructor(private readonly what: string, taken: Readonly<Record<string, string>> = {}) {
    this.owner = new Map(Object.entries(taken));
  }

  merge<T>(parts: readonly (readonly [owner: string, record: Record<string, T> | undefined])[]): Record<string, T> {
    const out: Record<string, T> = {};
    // Owners of keys new in this call: kept only if the whole call is accepted.
    let added: Map<string, string> | undefined;
    for (const [name, record] of parts) {
      if (!record) continue;
      for (const key of Object.keys(record)) {
        const first = this.owner.get(key) ?? added?.get(key);
        if (first === undefined) (added ??= new Map()).set(key, name);
        else if (first !== name) throw new Error(`${first} and ${name} both give the ${this.what} "${key}": plugins must not overwrite each other's ${this.what}s`);
        out[key] = record[key];
      }
    }
    if (added) for (const [key, name] of added) this.owner.set(key, name);
    return out;
  }
}
