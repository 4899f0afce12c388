// One row of the settings table as a form field: label (with unit), the input its kind
// asks for, the one-line help or the inline validation message, and — when the setting
// does not apply to this run — why. Used by the compact form (test ids field-<key>) and
// the settings panel (setting-<key>). Edits go through actions.setField, which applies
// only a valid config.
import { actions } from '../store/controller';
import { useSettings } from '../store/settings';
import { isOptionalSetting, type SettingSpec } from '../engine/settingsTable';
import { SSL_METHOD_NAMES, sslMethodInfo } from '../engine/ssl/methodInfo';
import { describePresets, presetsSetting } from '../engine/config';
import { numberInputAttrs } from './numberInput';

export const OPTION_LABELS: Record<string, string> = {
  shapes: 'Synthetic shapes',
  'fashion-mnist': 'Fashion-MNIST',
  own: 'Your own images (load them first)',
  ...Object.fromEntries(SSL_METHOD_NAMES.map((m) => [m, sslMethodInfo(m).label])),
  unstructured: 'Unstructured',
  channel: 'Channels',
  nm: 'N:M',
  shared: 'Shared',
  'per-branch': 'Per branch',
  uniform: 'Uniform',
  global: 'Global',
  erk: 'ERK',
  l1: 'L1',
  l2: 'L2',
  spatial: 'Spatial',
  'channel-group': 'Channel groups',
  quantile: 'Quantile',
  learned: 'Learned Δ',
};

export function SettingField({ spec, prefix, notApplied }: { spec: SettingSpec; prefix: 'field' | 'setting'; notApplied?: string }) {
  const value = useSettings((s) => s.draft[spec.path]) ?? '';
  const issue = useSettings((s) => s.issues[spec.path]);
  const id = `${prefix}-${spec.key}`;
  const restart = spec.restart !== false;
  const common = {
    id,
    'data-testid': id,
    'aria-invalid': Boolean(issue),
    'aria-describedby': `${id}-msg`,
    disabled: notApplied !== undefined || undefined,
  };
  const onText = (text: string) => actions.setField(spec.path, text);
  const setBy = presetsSetting(spec.path);
  const label = (
    <>
      {spec.label}
      {spec.unit ? ` (${spec.unit})` : ''}
      {prefix === 'setting' && restart && (
        <span className="restart-mark" title="Changing this restarts the run at step 0" aria-label="restarts the run">
          {' '}
          ↻
        </span>
      )}
    </>
  );
  let input;
  switch (spec.input) {
    case 'select':
      input = (
        <select {...common} value={value} onChange={(e) => onText(e.target.value)}>
          {(spec.options ?? []).map((o) => (
            <option key={o} value={o}>
              {OPTION_LABELS[o] ?? o}
            </option>
          ))}
        </select>
      );
      break;
    case 'checkbox':
      input = <input {...common} type="checkbox" checked={value === '1' || value === 'true'} onChange={(e) => onText(e.target.checked ? '1' : '0')} />;
      break;
    case 'list':
      // A text keypad: a list needs commas (and a decimal keypad has none).
      input = <input {...common} type="text" inputMode="text" spellCheck={false} placeholder={isOptionalSetting(spec) ? 'unset' : undefined} value={value} onChange={(e) => onText(e.target.value)} />;
      break;
    default:
      input = <input {...common} type="number" {...numberInputAttrs(spec)} value={value} onChange={(e) => onText(e.target.value)} />;
  }
  return (
    <div className={`field${issue ? ' field-invalid' : ''}${notApplied ? ' field-off' : ''}${spec.input === 'checkbox' ? ' field-check' : ''}`} data-applies={notApplied ? '0' : '1'} data-setting={spec.path}>
      {spec.input === 'checkbox' ? (
        <label htmlFor={id} className="check-label">
          {input}
          <span>{label}</span>
        </label>
      ) : (
        <>
          <label htmlFor={id}>{label}</label>
          {input}
        </>
      )}
      <div id={`${id}-msg`} className={issue ? 'field-error' : 'field-hint'} data-testid={issue ? `${id}-error` : undefined} role={issue ? 'alert' : undefined}>
        {issue ?? spec.help}
        {!issue && notApplied && <span className="field-why" data-testid={`${id}-why`}> — {notApplied}</span>}
        {!issue && prefix === 'setting' && setBy.length > 0 && <span className="field-presets" data-testid={`${id}-presets`}> (set by: {describePresets(setBy)})</span>}
      </div>
    </div>
  );
}
