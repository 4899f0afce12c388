// The trainer merges the plugins' read-back metrics (and their row fields) every step with an OwnedMerge: a name's
// owner is fixed when the name first appears, so later steps only look it up. It must give
// what mergeOwned gives, refuse what mergeOwned refuses with the same words, refuse a name a
// second owner gives at a later step, and fix nothing from a call it refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeOwned, OwnedMerge } from '../../../src/engine/plugins';

type Parts = [owner: string, record: Record<string, number> | undefined][];

describe('OwnedMerge', () => {
  it('by hand: the union of the owners’ records; a key given by another owner later is refused, naming both', () => {
    const m = new OwnedMerge('metric');
    expect(m.merge([['syncp', { 'syncp.density': 1 }], ['cdg', { 'cdg.g.a': 2, 'cdg.g.b': 3 }]])).toEqual({ 'syncp.density': 1, 'cdg.g.a': 2, 'cdg.g.b': 3 });
    // Names may come and go (CDG's per-layer names depend on what ran); the same owner again is fine.
    expect(m.merge([['syncp', { 'syncp.density': 4 }], ['cdg', undefined]])).toEqual({ 'syncp.density': 4 });
    expect(() => m.merge([['copy', { 'syncp.density': 5 }]])).toThrow('syncp and copy both give the metric "syncp.density": plugins must not overwrite each other\'s metrics');
    expect(() => m.merge([['syncp', {}], ['cdg', { 'cdg.g.a': 1, 'syncp.density': 1 }]])).toThrow(/^syncp and cdg both give the metric "syncp.density"/);
  });

  it('keys taken from the start (the trainer’s own row fields) are refused to every plugin, at any call', () => {
    const m = new OwnedMerge('row field', { loss: 'the trainer', step: 'the trainer' });
    expect(m.merge([['syncp', { density: 1 }]])).toEqual({ density: 1 });
    expect(() => m.merge([['liar', { loss: 0 }]])).toThrow('the trainer and liar both give the row field "loss": plugins must not overwrite each other\'s row fields');
    expect(() => m.merge([['syncp', { density: 2, step: 3 }]])).toThrow(/^the trainer and syncp both give the row field "step"/);
    expect(m.merge([['syncp', { density: 2 }]])).toEqual({ density: 2 });
  });

  it('a refused call fixes no owner: its new names stay free', () => {
    const m = new OwnedMerge('metric');
    m.merge([['a', { x: 1 }]]);
    expect(() => m.merge([['b', { y: 1, x: 2 }]])).toThrow(/a and b both give the metric "x"/);
    // y was b's only in the refused call: c may take it.
    expect(m.merge([['c', { y: 3 }]])).toEqual({ y: 3 });
  });

  it('over random sequences of calls: the same result or the same error as mergeOwned of the call with every owner seen so far', () => {
    const owners = ['syncp', 'cdg', 'x'];
    const record = fc.option(fc.dictionary(fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5'), fc.integer()), { nil: undefined });
    const call = fc.tuple(...owners.map((o) => record.map((r) => [o, r] as Parts[number]))).chain((ps) => fc.shuffledSubarray(ps));
    fc.assert(
      fc.property(fc.array(call, { maxLength: 8 }), (calls) => {
        const m = new OwnedMerge('metric');
        // Reference: mergeOwned with the owners of accepted calls as `taken`, a key's owner
        // counted as taken only by another owner (mergeOwned itself knows no "same owner again").
        const accepted = new Map<string, string>();
        for (const parts of calls) {
          let expected: Record<string, number> | Error;
          try {
            expected = mergeOwned('metric', parts, {});
            for (const [name, r] of parts) for (const key of Object.keys(r ?? {})) if (accepted.has(key) && accepted.get(key) !== name) throw new Error(`${accepted.get(key)} and ${name} both give the metric "${key}": plugins must not overwrite each other's metrics`);
          } catch (e) {
            expected = e as Error;
          }
          if (expected instanceof Error) {
            expect(() => m.merge(parts)).toThrow(/both give the metric/);
          } else {
            expect(m.merge(parts)).toEqual(expected);
            for (const [name, r] of parts) for (const key of Object.keys(r ?? {})) accepted.set(key, name);
          }
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
