import { useRef } from 'react';
import { ExportForGpus } from './ExportForGpus';
import { PRESET_NAMES, isPresetName } from '../engine/config';
import { actions } from '../store/controller';
import { useRun } from '../store/run';
import { QUICK_SETTINGS, useSettings } from '../store/settings';
import { applies, type SettingSpec } from '../engine/settingsTable';

const PRESET_LABELS: Record<string, string> = {
  'simclr-dense': 'SimCLR, dense',
  'byol-dense': 'BYOL, dense',
  cdg: 'CDG: contrastive dual gating',
  'syncp-unstructured': 'SyncCP: unstructured',
  'syncp-channel': 'SyncCP: channels',
  'syncp-2of4': 'SyncCP: 2:4',
};

/** Start / pause / one step / reset, plus export and import of run.json. */
export function RunButtons() {
  const phase = useRun((s) => s.phase);
  const building = useRun((s) => s.building);
  const hasRun = useRun((s) => s.hasRun);
  const worker = useRun((s) => s.worker);
  const pending = useRun((s) => s.pending);
  const fileRef = useRef<HTMLInputElement>(null);
  // Commands queue in the worker behind a build, so they are offered while one is under
  // way: a Start pressed then starts the new run as soon as it is built.
  const reachable = worker !== 'crashed' && (hasRun || building);
  const shown = building ? 'idle' : phase;
  const idle = reachable && shown === 'idle' && !pending;
  const live = worker === 'ready' && hasRun && !building;
  return (
    <div className="run-buttons">
      <button className="btn btn-primary btn-round" data-testid="start" disabled={!idle} onClick={actions.start} title={building ? 'Starts as soon as the run is built' : 'Train continuously'}>
        {pending === 'start' ? '… Starting' : '▶ Start'}
      </button>
      <button className="btn btn-round" data-testid="pause" disabled={!reachable || pending === 'pause' || (shown !== 'running' && pending !== 'start')} onClick={actions.pause} title="Pause after the current step">
        ❚❚ Pause
      </button>
      <button className="btn" data-testid="step" disabled={!idle} onClick={actions.step} title="Exactly one training step" aria-busy={pending === 'step' || shown === 'stepping'}>
        {pending === 'step' || shown === 'stepping' ? '… Stepping' : '+1 Step'}
      </button>
      <button className="btn" data-testid="reset" disabled={worker === 'crashed'} onClick={actions.reset} title="Back to step 0 with fresh weights from the seed">
        ↺ Reset
      </button>
      <span className="spacer" />
      <button className="btn btn-ghost" data-testid="export" disabled={!live || phase === 'running' || phase === 'stepping' || pending !== undefined} onClick={() => void actions.exportRun()} title="Download run.json of this run">
        Export
      </button>
      <ExportForGpus />
      <button className="btn btn-ghost" data-testid="import" onClick={() => fileRef.current?.click()} title="Load a run.json: its config and history">
        Import
      </button>
      <input
        ref={fileRef}
        type="file"
        accept="application/json,.json"
        hidden
        data-testid="import-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void actions.importRun(f);
          e.target.value = '';
        }}
      />
    </div>
  );
}

const OPTION_LABELS: Record<string, string> = { shapes: 'Synthetic shapes', 'fashion-mnist': 'Fashion-MNIST' };

/** One setting of the settings table as a form field: its label, help text, and inline error. */
function SettingField({ spec }: { spec: SettingSpec }) {
  const value = useSettings((s) => s.draft[spec.path]) ?? '';
  const issue = useSettings((s) => s.issues[spec.path]);
  const id = `field-${spec.key}`;
  const common = {
    id,
    'data-testid': id,
    'aria-invalid': Boolean(issue),
    'aria-describedby': `${id}-msg`,
  };
  return (
    <div className={`field${issue ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {spec.label}
        {spec.unit ? ` (${spec.unit})` : ''}
      </label>
      {spec.input === 'select' ? (
        <select {...common} value={value} onChange={(e) => actions.setField(spec.path, e.target.value)}>
          {(spec.options ?? []).map((o) => (
            <option key={o} value={o}>
              {OPTION_LABELS[o] ?? o}
            </option>
          ))}
        </select>
      ) : (
        <input {...common} type="number" inputMode="decimal" step={spec.step ?? (spec.input === 'integer' ? 1 : 'any')} value={value} onChange={(e) => actions.setField(spec.path, e.target.value)} />
      )}
      <div id={`${id}-msg`} className={issue ? 'field-error' : 'field-hint'} data-testid={issue ? `${id}-error` : undefined}>
        {issue ?? spec.help}
      </div>
    </div>
  );
}

/** Preset, size and the most used settings (the table's quick rows that apply); a valid change restarts the run at step 0. */
export function Settings() {
  const preset = useSettings((s) => s.preset);
  const tiny = useSettings((s) => s.tiny);
  const applied = useSettings((s) => s.applied);
  const importedName = useSettings((s) => s.importedName);
  const configIssue = useSettings((s) => s.issues.config);
  const running = useRun((s) => !s.building && (s.phase === 'running' || s.phase === 'stepping'));
  const fields = QUICK_SETTINGS.filter((f) => applies(f, applied));
  return (
    <div className="settings">
      <div className="field">
        <label htmlFor="preset">Preset</label>
        <select id="preset" data-testid="preset" value={importedName ? '' : preset} disabled={running} onChange={(e) => isPresetName(e.target.value) && actions.setPreset(e.target.value)}>
          {importedName && <option value="">imported: {importedName}</option>}
          {PRESET_NAMES.map((p) => (
            <option key={p} value={p}>
              {PRESET_LABELS[p] ?? p}
            </option>
          ))}
        </select>
      </div>
      <label className="toggle" title="Small images, widths and batch: fast even without a GPU">
        <input type="checkbox" data-testid="tiny" checked={tiny} disabled={running} onChange={(e) => actions.setTiny(e.target.checked)} />
        Tiny size
      </label>
      <fieldset className="fields" disabled={running}>
        {fields.map((f) => (
          <SettingField key={f.path} spec={f} />
        ))}
      </fieldset>
      {configIssue && <div className="field-error">{configIssue}</div>}
      <p className="small muted">Changing a setting starts a fresh run at step 0. Pause to edit.</p>
    </div>
  );
}
