// The FLOPs panel's sentence on CDG's gate gradient says how the count is made. Found by a
// FLOPs hunt: at a final gate density of 0 the quantile gate passes no gradient once every
// gate is closed, and the count (cdg.ts countedGradient) is then the detached one, while the
// sentence still said the conditional forward was counted in full.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { gateGradientText } from '../../../src/ui/panels/FlopsPanel';

const cdg = (over: Record<string, unknown>) => buildConfig({ preset: 'cdg', overrides: { cdg: over } }).cdg!;

describe('the FLOPs panel on the gate gradient', () => {
  it('ste at a final density of 0 (quantile) says the count becomes the detached one; otherwise it does not', () => {
    expect(gateGradientText(cdg({ density: 0 }))).toMatch(/^straight-through .*the count is the detached one$/);
    expect(gateGradientText(cdg({ density: 0.4 }))).not.toMatch(/detached/);
    // A learned Δ keeps its gradient whatever the density: not said.
    expect(gateGradientText(cdg({ density: 0, threshold: 'learned' }))).not.toMatch(/detached/);
    expect(gateGradientText(cdg({ gateGradient: 'detached' }))).toMatch(/^detached/);
  });
});
