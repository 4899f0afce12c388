// A number setting's spinner steps from its HTML min (the step base): a min off the step's
// grid from 0 turns a preset's 1000 into 1001/951 on ↑/↓. And a keypad without a minus
// sign only where no value below 0 is valid.
import { describe, expect, it } from 'vitest';
import { buildConfig, PRESET_NAMES, SETTINGS } from '../../../src/engine/config';
import { getAt } from '../../../src/engine/settingsTable';
import { numberInputAttrs } from '../../../src/ui/numberInput';

const numbers = SETTINGS.filter((s) => s.input === 'number' || s.input === 'integer');
const configs = PRESET_NAMES.flatMap((preset) => [false, true].map((tiny) => ({ name: `${preset}${tiny ? ' tiny' : ''}`, config: buildConfig({ preset, tiny }) })));

describe('numberInputAttrs', () => {
  it('keeps a min only where it is on its step’s grid from 0, so ↑/↓ from a round value land on round values', () => {
    // Before: Steps (min 1, step 50) stepped every preset's 1000 to 1001 or 951. Each preset's
    // values on the grid are listed too: the spinner keeps them (syncp-reference's 0.68 and
    // 0.012, copied from the reference code, are off it and snap to 0.65/0.70, 0.01/0.02).
    const offGrid: string[] = [];
    for (const spec of numbers) {
      const a = numberInputAttrs(spec);
      if (a.step === 'any' || a.min === undefined) continue;
      const k = a.min / a.step;
      expect(Math.abs(k - Math.round(k)), spec.path).toBeLessThan(1e-9);
      for (const { name, config } of configs) {
        const v = getAt(config, spec.path);
        if (typeof v === 'number' && Math.abs(v / a.step - Math.round(v / a.step)) > 1e-6) offGrid.push(`${spec.path}=${v} (${name})`);
      }
    }
    expect(offGrid.filter((x) => !x.includes('(syncp-reference'))).toEqual([]);
  });

  it('steps Steps by 50 from the value (not from its min of 1), and still bounds it above', () => {
    const steps = numberInputAttrs(SETTINGS.find((s) => s.path === 'steps')!);
    expect(steps).toMatchObject({ min: undefined, step: 50, max: 1_000_000, inputMode: 'numeric' });
    expect(numberInputAttrs({ input: 'number', min: 0, max: 1, step: 0.05 })).toEqual({ min: 0, max: 1, step: 0.05, inputMode: 'decimal' });
  });

  it('asks for a keypad without a minus sign only where the setting has a min ≥ 0', () => {
    for (const spec of numbers) {
      const a = numberInputAttrs(spec);
      if (a.inputMode) expect(spec.min, spec.path).toBeGreaterThanOrEqual(0);
      else expect(spec.min === undefined || spec.min < 0, spec.path).toBe(true);
    }
    expect(numberInputAttrs({ input: 'number', min: -1, max: 1 }).inputMode).toBeUndefined();
  });
});
