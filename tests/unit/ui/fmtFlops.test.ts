// FLOPs as the Stats line and the FLOPs panel print them: three significant figures in the
// unit the rounded value belongs to. A UI hunt found 999,600 FLOP printed "1000 kFLOP": the
// unit was chosen before rounding.
import { describe, expect, it } from 'vitest';
import { fmtFlops } from '../../../src/ui/format';

describe('fmtFlops', () => {
  it.each([
    [0, '0.00 FLOP'],
    [67_239_936, '67.2 MFLOP'],
    [999_400, '999 kFLOP'],
    [999_600, '1.00 MFLOP'],
    [9_996, '10.0 kFLOP'],
    [99_960, '100 kFLOP'],
    [999_600_000, '1.00 GFLOP'],
    [1_234_000_000, '1.23 GFLOP'],
    [undefined, '—'],
    [NaN, '—'],
  ])('%s → %s', (n, text) => {
    expect(fmtFlops(n as number | undefined)).toBe(text);
  });

  it('never prints 1000 or more in a unit below the largest, nor more than three significant figures (random values)', () => {
    for (let k = 0; k < 2000; k++) {
      const n = Math.exp(Math.random() * 30);
      const [num, unit] = fmtFlops(n).split(' ');
      expect(Number(num), `${n}`).toBeLessThan(1000);
      expect(num.replace('.', '').replace(/^0+/, '').length, `${n}`).toBeLessThanOrEqual(3);
      // Within half a unit of the last digit of the value.
      const scale = 1000 ** ['FLOP', 'kFLOP', 'MFLOP', 'GFLOP', 'TFLOP'].indexOf(unit);
      const step = num.includes('.') ? 10 ** -(num.length - num.indexOf('.') - 1) : 1;
      expect(Math.abs(Number(num) * scale - n), `${n}`).toBeLessThanOrEqual((step / 2) * scale * (1 + 1e-9));
    }
  });
});
