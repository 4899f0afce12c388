// benchConfig's overrides of a method's block reach only the presets that run the method:
// `npm run bench -- --gate-gradient detached` must not switch CDG on in simclr-dense.
import { describe, expect, it } from 'vitest';
import { benchConfig, denseCounterpart, withDenseCounterparts } from '../../../src/engine/bench';
import { buildConfig } from '../../../src/engine/config';

describe('benchConfig overrides', () => {
  it('a cdg override changes the cdg preset and leaves the dense preset as it is', () => {
    const o = { cdg: { gateGradient: 'detached' }, kernels: { sparse: 'off' } };
    const dense = benchConfig('simclr-dense', true, o);
    expect(dense.cdg ?? undefined).toBeUndefined();
    expect({ ...dense, kernels: undefined }).toEqual({ ...buildConfig({ preset: 'simclr-dense', tiny: true }), kernels: undefined });
    expect(dense.kernels.sparse).toBe('off');
    const cdg = benchConfig('cdg', true, o);
    expect(cdg.cdg?.gateGradient).toBe('detached');
    expect(buildConfig({ preset: 'cdg', tiny: true }).cdg?.gateGradient).toBe('ste');
  });
});

describe('denseCounterpart', () => {
  it('is the dense preset of the same recipe: cdg → simclr-dense, the SyncCP presets → byol-dense, a dense preset itself', () => {
    expect(denseCounterpart('cdg', false)).toBe('simclr-dense');
    expect(denseCounterpart('syncp-2of4', true)).toBe('byol-dense');
    expect(denseCounterpart('syncp-channel', false)).toBe('byol-dense');
    expect(denseCounterpart('byol-dense', false)).toBe('byol-dense');
    expect(denseCounterpart('cdg@off', true)).toBe('simclr-dense');
  });

  it('syncp-reference, whose recipe no dense preset shares (batch 32, lr 2e-3), is compared with itself without SyncCP', () => {
    const ref = buildConfig({ preset: 'syncp-reference' });
    const byol = buildConfig({ preset: 'byol-dense' });
    // The premise: the recipes differ (a ratio over byol-dense compared batch 32 with 16).
    expect([ref.batchSize, ref.optim.lr]).not.toEqual([byol.batchSize, byol.optim.lr]);
    expect(denseCounterpart('syncp-reference', false)).toBe('syncp-reference@dense');
    const dense = benchConfig('syncp-reference@dense', false);
    expect(dense.syncp ?? null).toBeNull();
    expect({ ...dense, syncp: null }).toEqual({ ...ref, syncp: null });
    expect(withDenseCounterparts(['syncp-reference', 'cdg'], true)).toEqual(['simclr-dense', 'cdg', 'syncp-reference@dense', 'syncp-reference']);
  });

  it('overrides that change the recipe of every preset keep the counterparts', () => {
    expect(denseCounterpart('syncp-unstructured', true, { optim: { lr: 0.02 } })).toBe('byol-dense');
    // An override of the sparse preset's own block does not reach the dense one (benchConfig), so the recipes still match.
    expect(denseCounterpart('syncp-2of4', true, { syncp: { gap: 0.1 } })).toBe('byol-dense');
  });
});
