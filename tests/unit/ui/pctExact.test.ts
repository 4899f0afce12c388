// A share shown as 100% (or 0%) must be exactly that: nestedness measured at 0.9996 with
// per-branch scores is not "all nested".
import { describe, expect, it } from 'vitest';
import { pctExact } from '../../../src/ui/panels/common';

describe('pctExact', () => {
  it('rounds as usual away from the ends', () => {
    expect(pctExact(0.5)).toBe('50.0%');
    expect(pctExact(0.99949)).toBe('99.9%');
    expect(pctExact(0.1234, 2)).toBe('12.34%');
  });
  it('reads 100% and 0% only for exactly 1 and 0', () => {
    expect(pctExact(1)).toBe('100.0%');
    expect(pctExact(0)).toBe('0.0%');
    expect(pctExact(0.9996)).toBe('>99.9%');
    expect(pctExact(0.99999, 0)).toBe('>99%');
    expect(pctExact(0.0004)).toBe('<0.1%');
    expect(pctExact(undefined)).toBe('—');
    expect(pctExact(NaN)).toBe('—');
  });
});
