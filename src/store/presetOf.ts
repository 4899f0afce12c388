// The preset and size a config is closest to (the one its link names fewest settings
// against), so a resumed or imported run shows a preset and keeps a shareable URL.
import { buildConfig, PRESET_NAMES, type Config, type PresetName } from '../engine/config';
import { parseUrl, toSearch } from './url';

export function presetOf(config: Config): { preset: PresetName; tiny: boolean; exact: boolean } {
  let best: { preset: PresetName; tiny: boolean; search: string } | undefined;
  for (const preset of PRESET_NAMES) {
    for (const tiny of [true, false]) {
      const search = toSearch(preset, tiny, config, 'auto', false);
      if (!best || search.length < best.search.length) best = { preset, tiny, search };
    }
  }
  const u = parseUrl(best!.search);
  // Exact when the link rebuilds the very config (a setting the URL cannot carry would differ).
  const exact = JSON.stringify(buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides })) === JSON.stringify(config);
  return { preset: best!.preset, tiny: best!.tiny, exact };
}
