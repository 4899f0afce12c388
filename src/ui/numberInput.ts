// The HTML attributes of a number setting's input. A spinner steps from `min` (HTML's step
// base), so a min off the step's grid (Steps: min 1, step 50) would step a preset's 1000 to
// 1001 and 951: such a min is left to the schema, which still refuses what is below it, and
// the spinner steps from the value. A keypad without a minus sign is asked for only where
// no value below 0 is valid.
import type { SettingSpec } from '../engine/settingsTable';

export interface NumberInputAttrs {
  min?: number;
  max?: number;
  step: number | 'any';
  inputMode?: 'numeric' | 'decimal';
}

export function numberInputAttrs(spec: Pick<SettingSpec, 'min' | 'max' | 'step' | 'input'>): NumberInputAttrs {
  const step = spec.step ?? (spec.input === 'integer' ? 1 : 'any');
  const onGrid = spec.min === undefined || step === 'any' || Math.abs(spec.min / step - Math.round(spec.min / step)) < 1e-9;
  const nonNegative = spec.min !== undefined && spec.min >= 0;
  return {
    min: onGrid ? spec.min : undefined,
    max: spec.max,
    step,
    inputMode: nonNegative ? (spec.input === 'integer' ? 'numeric' : 'decimal') : undefined,
  };
}
