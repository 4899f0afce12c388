// `npm run train`'s config: preset, then --config file, then flags, validated as a whole.
// Found by a read-only hunt: the file was validated on its own first, so flags that make it
// valid were refused, blaming a value the user did not give.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/args';
import { trainConfig } from '../../../src/cli/trainConfig';
import { ConfigError, SETTINGS } from '../../../src/engine/config';

const flag = (key: string, value: unknown) => ({ spec: SETTINGS.find((s) => s.key === key || s.path === key)!, value });

describe('trainConfig', () => {
  it('a file that only the flags make valid is taken: the whole is checked, not the file alone', () => {
    expect(trainConfig({ preset: 'simclr-dense', tiny: false, fileCfg: { data: { trainCount: 10 } }, settings: [flag('batchSize', 8)] }).batchSize).toBe(8);
    const c = trainConfig({ preset: 'syncp-2of4', tiny: false, fileCfg: { syncp: { n: 8 } }, settings: [flag('syncp.m', 16)] });
    expect([c.syncp?.n, c.syncp?.m]).toEqual([8, 16]);
  });

  it('the whole is still checked: a file and flags that do not fit together are refused, naming the setting', () => {
    expect(() => trainConfig({ preset: 'simclr-dense', tiny: false, fileCfg: { data: { trainCount: 10 } }, settings: [flag('batchSize', 16)] })).toThrow(ConfigError);
    expect(() => trainConfig({ preset: 'syncp-2of4', tiny: false, fileCfg: { syncp: { n: 8 } }, settings: [] })).toThrow(/syncp\.n/);
    for (const fileCfg of [[{ steps: 10 }], 42, null, 'x']) expect(() => trainConfig({ preset: 'simclr-dense', tiny: true, fileCfg, settings: [] }), JSON.stringify(fileCfg)).toThrow(/must be a JSON object of settings/);
  });

  it('a method\'s flag does not switch the method on; a file that switches it on lets the flag apply', () => {
    expect(() => trainConfig({ preset: 'simclr-dense', tiny: false, fileCfg: {}, settings: [flag('syncp.gap', 0.2)] })).toThrow(UsageError);
    expect(() => trainConfig({ preset: 'syncp-2of4', tiny: false, fileCfg: { syncp: null }, settings: [flag('syncp.gap', 0.2)] })).toThrow(/applies only when SyncCP is on/);
    expect(trainConfig({ preset: 'byol-dense', tiny: false, fileCfg: { syncp: { granularity: 'unstructured' } }, settings: [flag('syncp.gap', 0.2)] }).syncp?.gap).toBe(0.2);
  });
});
