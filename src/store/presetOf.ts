// The preset and size a config is closest to (the one its link names fewest settings
// against), so a resumed or imported run shows a preset and keeps a shareable URL.
import { buildConfig, PRESET_NAMES, type Config, type PresetName } from '../engine/config';
import { parseUrl, toSearch, type BackendMode } from './url';

export function presetOf(config: Config): { preset: PresetName; tiny: boolean; exact: boolean } {
  const want = JSON.stringify(config);
  let best: { preset: PresetName; tiny: boolean; length: number; exact: boolean } | undefined;
  for (const preset of PRESET_NAMES) {
    for (const tiny of [true, false]) {
      const search = toSearch(preset, tiny, config, 'auto', false);
      // Exact when the link rebuilds the very config. A link cannot switch a method off (a
      // dense config is a short link of the cdg preset), so exactness comes before length.
      const u = parseUrl(search);
      const built = buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides });
      // A link cannot carry own images (url.ts refuses dataset=own): judged as if it could, or
      // every own-data run matched no preset and the shortest link won (cdg's, CDG off).
      const exact = JSON.stringify({ ...built, data: { ...built.data, name: (config as Partial<Config>).data?.name ?? built.data.name } }) === want;
      if (!best || (exact && !best.exact) || (exact === best.exact && search.length < best.length)) best = { preset, tiny, length: search.length, exact };
    }
  }
  return { preset: best!.preset, tiny: best!.tiny, exact: best!.exact };
}

/**
 * The link of the run the settings describe. An imported run (or a resumed one off every
 * preset) is linked from the preset it is closest to, with every setting it differs in, so
 * a link copied after an import opens that run's config, not the preset picked before it.
 */
export function linkOf(s: { preset: PresetName; tiny: boolean; applied: Config; backend: BackendMode; importedBase?: Config }): string {
  if (!s.importedBase) return toSearch(s.preset, s.tiny, s.applied, s.backend);
  const p = presetOf(s.applied);
  return toSearch(p.preset, p.tiny, s.applied, s.backend);
}
