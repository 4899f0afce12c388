// The worker finds the sparsifier whose masks it shows by its members, not its class: SyncCP
// is one (and says N:M only for the N:M granularity), CDG (gates, no weight masks) is not.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { isWeightMaskSource } from '../../../src/engine/plugin';
import { Trainer } from '../../../src/engine/trainer';

const shapes = await loadDataset('shapes', { seed: 4, trainCount: 20, testCount: 10 });

describe('weight mask sources', () => {
  it.each([
    ['syncp-2of4', true, { n: 2, m: 4 }],
    ['syncp-unstructured', true, null],
    ['cdg', false, undefined],
    ['simclr-dense', false, undefined],
  ] as const)('%s', (preset, isSource, nm) => {
    const t = new Trainer(buildConfig({ preset, tiny: true }), shapes);
    const src = t.plugins.find(isWeightMaskSource);
    expect(!!src).toBe(isSource);
    if (src) {
      expect(src.nmPattern()).toEqual(nm);
      expect(src.layerNames().length).toBeGreaterThan(0);
      expect(src.layerMasks(src.layerNames()[0])?.online.length).toBeGreaterThan(0);
    }
    t.dispose();
  });
});
