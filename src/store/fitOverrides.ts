// Settings laid over a preset, keeping as many as fit: all together first (some are valid
// only with another: N ≤ M, a schedule's start ≤ end, a batch within the training images),
// else one at a time so one bad value does not discard the good ones, passes repeating
// while a value refused earlier fits beside the ones taken since (N after M). A link
// (url.ts) and a size switch (controller setTiny) keep the same settings for the same reason.
import { buildConfig, ConfigError, mergeConfig, type PresetName } from '../engine/config';

export interface OverridePart<K> {
  key: K;
  /** The config fragment this setting sets. */
  fragment: Record<string, unknown>;
}

/** The merged fragments that fit over `preset` at its size, and the schema's issues for each part left out. */
export function fitOverrides<K>(preset: PresetName, tiny: boolean, parts: readonly OverridePart<K>[]): { overrides: Record<string, unknown>; refused: Map<K, string[]> } {
  const all = mergeConfig(...parts.map((p) => p.fragment));
  const refused = new Map<K, string[]>();
  try {
    buildConfig({ preset, tiny, overrides: all });
    return { overrides: all, refused };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
  let overrides: Record<string, unknown> = {};
  let left = parts;
  for (let taken = true; taken && left.length; ) {
    taken = false;
    const next: OverridePart<K>[] = [];
    for (const part of left) {
      try {
        buildConfig({ preset, tiny, overrides: mergeConfig(overrides, part.fragment) });
        overrides = mergeConfig(overrides, part.fragment);
        refused.delete(part.key);
        taken = true;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        refused.set(part.key, e.issues);
        next.push(part);
      }
    }
    left = next;
  }
  return { overrides, refused };
}
