// benchConfig's overrides of a method's block reach only the presets that run the method:
// `npm run bench -- --gate-gradient detached` must not switch CDG on in simclr-dense.
import { describe, expect, it } from 'vitest';
import { benchConfig, denseCounterpart } from '../../../src/engine/bench';
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
  it('is the preset of the same SSL method without SyncCP and CDG', () => {
    expect(denseCounterpart(buildConfig({ preset: 'cdg' }))).toBe('simclr-dense');
    expect(denseCounterpart(buildConfig({ preset: 'syncp-2of4' }))).toBe('byol-dense');
    expect(denseCounterpart(buildConfig({ preset: 'syncp-reference' }))).toBe('byol-dense');
    expect(() => denseCounterpart(buildConfig({ overrides: { ssl: { method: 'simsiam' } } }))).toThrow(/no dense preset for the SSL method "simsiam"/);
  });
});
