// A series with one point gets a dot (a one-point line draws nothing); from two points, none.
import { describe, expect, it } from 'vitest';
import { dotIfAlone } from '../../../src/ui/transforms/lonePoint';

describe('dotIfAlone', () => {
  it('dots a series only while it has exactly one number', () => {
    expect(dotIfAlone([], 'loss')).toBe(false);
    expect(dotIfAlone([{ step: 1, loss: 4.1 }], 'loss')).toEqual({ r: 3 });
    expect(dotIfAlone([{ step: 1, loss: 4.1 }, { step: 2, loss: 4.0 }], 'loss')).toBe(false);
  });
  it('counts this series only: a pinned run’s rows beside it, and NaN, do not make a line', () => {
    expect(dotIfAlone([{ step: 1, loss: 4.1 }, { step: 2, ref0: 3.9 }, { step: 3, ref0: 3.8 }], 'loss')).toEqual({ r: 3 });
    expect(dotIfAlone([{ step: 1, loss: 4.1 }, { step: 2, loss: Number.NaN }], 'loss')).toEqual({ r: 3 });
  });
});
