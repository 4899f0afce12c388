// The config `npm run train` runs: the preset (at the tiny size with --tiny), a --config
// file over it, the setting flags over both; validated once, as a whole. A method's flag
// does not switch that method on by itself (as in links): it needs a preset or a file that
// has the method.
import { UsageError } from './args';
import { buildConfig, mergeConfig, type Config } from '../engine/config';
import { fragmentAt, methodOffFor, type SettingSpec } from '../engine/settingsTable';

export interface TrainConfigInput {
  preset: string;
  tiny: boolean;
  /** The --config file's contents (any JSON: checked with the rest). */
  fileCfg: unknown;
  settings: { spec: SettingSpec; value: unknown }[];
}

export function trainConfig({ preset, tiny, fileCfg, settings }: TrainConfigInput): Config {
  // A file that is not an object of settings would merge as nothing (the bare preset would run):
  // refused with the message a link's or an import's gets.
  if (typeof fileCfg !== 'object' || fileCfg === null || Array.isArray(fileCfg)) buildConfig({ preset, tiny, measured: true, overrides: fileCfg });
  // Which methods are on, from the preset and the file before any validation: validating the
  // file alone refused settings that only the flags make valid (a batch of 8 against a file's
  // 10 training images once the preset's 32 was checked, N:M with the file's N and a flag's M).
  const methods = mergeConfig(buildConfig({ preset, tiny, measured: true }), fileCfg);
  for (const { spec } of settings) {
    const off = methodOffFor(spec, methods);
    if (off) throw new UsageError(`--${spec.key} ${off} (preset ${preset}); pick a ${spec.methodLabel} preset or set it in --config`);
  }
  return buildConfig({ preset, tiny, measured: true, overrides: mergeConfig(fileCfg, ...settings.map((x) => fragmentAt(x.spec.path, x.value))) });
}
