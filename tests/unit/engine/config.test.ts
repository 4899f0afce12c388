// The config schema rejects impossible settings with messages that name the field.
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, parseConfig, PRESET_NAMES, SETTINGS, stageStrides } from '../../../src/engine/config';
import { KNN_MEMORY, KNN_QUERIES } from '../../../src/engine/trainer';

function issuesOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('defaults validate and every preset builds, tiny too', () => {
    for (const p of PRESET_NAMES) {
      expect(() => buildConfig({ preset: p })).not.toThrow();
      expect(buildConfig({ preset: p, tiny: true }).model.widths).toEqual([8, 16]);
      expect(buildConfig({ preset: p, tiny: true }).steps).toBe(300);
      // BYOL's recipe trades batch for steps (16 × 2800, docs/results.md); SimCLR needs its negatives (32 × 1000).
      const byolRecipe = ['byol-dense', 'syncp-unstructured', 'syncp-channel', 'syncp-2of4'].includes(p);
      expect([buildConfig({ preset: p }).steps, buildConfig({ preset: p }).batchSize]).toEqual(byolRecipe ? [2800, 16] : [1000, 32]);
    }
  });

  it.each([
    [{ syncp: { n: 5, m: 4 } }, 'syncp.n'],
    [{ syncp: { density: 1.5 } }, 'syncp.density'],
    [{ syncp: { density: -0.1 } }, 'syncp.density'],
    // A branch that keeps no weight: its features are zero and the step writes NaN into the weights.
    [{ syncp: { density: 0 } }, 'syncp.density'],
    [{ syncp: { n: 0, m: 4 } }, 'syncp.n'],
    [{ data: { name: 'fashion-mnist', trainCount: 10001 } }, 'data.trainCount'],
    [{ cdg: { density: 2 } }, 'cdg.density'],
    [{ cdg: { beta: 1 } }, 'cdg.beta'],
    [{ batchSize: 1 }, 'batchSize'],
    // A batch larger than the training images was cut to them silently (run.json said 64).
    [{ batchSize: 64, data: { trainCount: 40 } }, 'batchSize'],
    [{ steps: 0 }, 'steps'],
    [{ optim: { lr: -1 } }, 'optim.lr'],
    [{ ssl: { temperature: 0 } }, 'ssl.temperature'],
    [{ ssl: { method: 'moco' } }, 'ssl.method'],
    [{ data: { name: 'imagenet' } }, 'data.name'],
    [{ model: { widths: [] } }, 'model.widths'],
    [{ seed: 1.5 }, 'seed'],
    [{ syncp: { schedule: { start: 0.8, end: 0.2 } } }, 'syncp.schedule'],
  ])('rejects %j at %s', (input, path) => {
    const issues = issuesOf(input);
    expect(issues.some((i) => i.startsWith(path))).toBe(true);
  });

  it('rejects an unknown preset by name', () => {
    expect(() => buildConfig({ preset: 'syncp-9of4' })).toThrow(/unknown preset "syncp-9of4"/);
  });

  it('overrides apply over the preset, deeply', () => {
    const c = buildConfig({ preset: 'syncp-2of4', overrides: { syncp: { gap: 0.1 } } });
    expect(c.syncp?.granularity).toBe('nm');
    expect(c.syncp?.gap).toBe(0.1);
    expect(c.ssl.method).toBe('byol');
  });

  it('stage strides: 2 unless given', () => {
    expect(stageStrides({ widths: [8, 16, 32], blocks: 1, projHidden: 1, projDim: 1, predHidden: 1, projOutBn: false })).toEqual([2, 2, 2]);
    expect(stageStrides({ widths: [8, 16], blocks: 1, strides: [1], projHidden: 1, projDim: 1, predHidden: 1, projOutBn: false })).toEqual([1, 2]);
  });

  it('the image-count settings say how many the kNN monitor uses at most (trainer.ts caps both)', () => {
    const help = (path: string) => SETTINGS.find((x) => x.path === path)!.help;
    expect(help('data.trainCount')).toContain(`at most ${KNN_MEMORY} of them`);
    expect(help('data.testCount')).toContain(`up to ${KNN_QUERIES} of them`);
  });

  // Found by a read-only hunt: both were accepted and then quietly run otherwise.
  it('refuses CDG channel groups that do not divide every stage width, and more strides than stages, naming the setting', () => {
    const refused = (overrides: Record<string, unknown>, path: string) => {
      try {
        buildConfig({ preset: 'cdg', tiny: true, overrides });
      } catch (e) {
        expect((e as ConfigError).issues.some((i) => i.startsWith(`${path}:`)), JSON.stringify(overrides)).toBe(true);
        return;
      }
      throw new Error(`accepted ${JSON.stringify(overrides)}`);
    };
    // Tiny widths 8, 16: 3 and 1000 divide neither; 7, 14 is not divided by 4.
    refused({ cdg: { saliency: 'channel-group', groups: 3 } }, 'cdg.groups');
    refused({ cdg: { saliency: 'channel-group', groups: 1000 } }, 'cdg.groups');
    refused({ model: { widths: [7, 14] }, cdg: { saliency: 'channel-group', groups: 4 } }, 'cdg.groups');
    refused({ model: { strides: [1, 1, 1] } }, 'model.strides');
    for (const ok of [{ cdg: { saliency: 'channel-group', groups: 8 } }, { cdg: { saliency: 'spatial', groups: 3 } }, { model: { strides: [1, 2] } }, { model: { widths: [6, 12], strides: [1] } }]) {
      expect(() => buildConfig({ preset: 'cdg', tiny: true, overrides: ok }), JSON.stringify(ok)).not.toThrow();
    }
  });
});

