import { useEffect, useRef } from 'react';
import { ExportForGpus } from './ExportForGpus';
import { PRESET_NAMES, isPresetName } from '../engine/config';
import { actions } from '../store/controller';
import { useRun } from '../store/run';
import { QUICK_SETTINGS, useSettings } from '../store/settings';
import { applies } from '../engine/settingsTable';
import { runButtons } from './keys';
import { SettingField } from './SettingField';
import { issuesNotShown } from './settingsGroups';
import { PRESET_LABELS } from './presetLabels';


/** Start / pause / one step / reset, plus export and import of run.json (not in classroom mode). */
export function RunButtons() {
  const phase = useRun((s) => s.phase);
  const building = useRun((s) => s.building);
  const hasRun = useRun((s) => s.hasRun);
  const worker = useRun((s) => s.worker);
  const pending = useRun((s) => s.pending);
  const classroom = useSettings((s) => s.classroom);
  const fileRef = useRef<HTMLInputElement>(null);
  // Commands queue in the worker behind a build, so they are offered while one is under
  // way: a Start pressed then starts the new run as soon as it is built. The keyboard
  // shortcuts use the same rules (keys.ts).
  const restoring = useRun((s) => s.restoring);
  const error = useRun((s) => s.error);
  const can = runButtons({ phase, building, hasRun, worker, pending, restoring, error });
  // A pressed run button disables itself until the worker answers, and the browser then drops
  // the keyboard focus to the page: a second Enter did nothing. Focus comes back to the control
  // a person presses next (Pause after Start, Start after Pause, Step after Step) each time it
  // is usable while focus is nowhere, until the person does something else (a key, a pointer
  // press, focus moved to another control): a button is enabled in passing between the press
  // and the phase that follows, then disabled again.
  const refocus = useRef<readonly string[] | undefined>(undefined);
  const pressed = (next: readonly string[], action: () => void) => () => {
    refocus.current = next;
    action();
  };
  useEffect(() => {
    const forget = () => {
      refocus.current = undefined;
    };
    // Capture phase: the key or press that triggers a button's click comes first, so the click sets it anew.
    document.addEventListener('keydown', forget, true);
    document.addEventListener('pointerdown', forget, true);
    return () => {
      document.removeEventListener('keydown', forget, true);
      document.removeEventListener('pointerdown', forget, true);
    };
  }, []);
  useEffect(() => {
    const next = refocus.current;
    if (!next) return;
    const active = document.activeElement;
    if (active && active !== document.body && !next.includes((active as HTMLElement).dataset?.testid ?? '')) {
      refocus.current = undefined; // the person went elsewhere
      return;
    }
    if (active && active !== document.body) return; // on one of them already
    for (const id of next) {
      const el = document.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`);
      if (el && !el.disabled) {
        el.focus({ preventScroll: true });
        return;
      }
    }
  }, [can.start, can.pause, can.step]);
  const shown = building ? 'idle' : phase;
  const live = worker === 'ready' && hasRun && !building;
  return (
    <div className="run-buttons" role="group" aria-label="Run">
      <button className="btn btn-primary btn-round" data-testid="start" disabled={!can.start} onClick={pressed(['pause', 'start'], actions.start)} title={building ? 'Starts as soon as the run is built (Space)' : 'Train continuously (Space)'} aria-label="Start training" aria-keyshortcuts="Space">
        {pending === 'start' ? '… Starting' : '▶ Start'}
      </button>
      <button className="btn btn-round" data-testid="pause" disabled={!can.pause} onClick={pressed(['start', 'step'], actions.pause)} title="Pause after the current step (Space)" aria-label="Pause training" aria-keyshortcuts="Space">
        ❚❚ Pause
      </button>
      <button className="btn" data-testid="step" disabled={!can.step} onClick={pressed(['step'], actions.step)} title="Exactly one training step (→)" aria-label="+1 Step: one training step" aria-keyshortcuts="ArrowRight" aria-busy={pending === 'step' || shown === 'stepping'}>
        {pending === 'step' || shown === 'stepping' ? '… Stepping' : '+1 Step'}
      </button>
      <button className="btn" data-testid="reset" disabled={!can.reset} onClick={actions.reset} title="Back to step 0 with fresh weights from the seed (r)" aria-label="Reset to step 0" aria-keyshortcuts="R">
        ↺ Reset
      </button>
      {!classroom && (
        <>
          <span className="spacer" />
          <button className="btn btn-ghost" data-testid="export" disabled={!live || phase === 'running' || phase === 'stepping' || pending !== undefined} onClick={() => void actions.exportRun()} title="Download run.zip: run.json, and the weights and optimizer state (model.json + weights.bin) to continue it later" aria-label="Export run.zip">
            Export
          </button>
          <ExportForGpus />
          <button className="btn btn-ghost" data-testid="import" onClick={() => fileRef.current?.click()} title="Load a run.zip to continue it (or a run.json to see its history beside a fresh run)" aria-label="Import run.zip or run.json">
            Import
          </button>
          <input
            ref={fileRef}
            type="file"
            accept=".zip,.json,application/zip,application/json"
            hidden
            data-testid="import-file"
            aria-label="run.zip or run.json to import"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void actions.importRun(f);
              e.target.value = '';
            }}
          />
        </>
      )}
    </div>
  );
}

/** Preset, size and the most used settings (the table's quick rows that apply; not in classroom mode); a valid change restarts the run at step 0. */
export function Settings() {
  const preset = useSettings((s) => s.preset);
  const tiny = useSettings((s) => s.tiny);
  const applied = useSettings((s) => s.applied);
  const importedName = useSettings((s) => s.importedName);
  const issues = useSettings((s) => s.issues);
  const classroom = useSettings((s) => s.classroom);
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
      <label className="toggle" htmlFor="tiny" title="Batch 8, 300 steps and 200 / 100 images, the default model with a smaller predictor: fast even without a GPU">
        <input type="checkbox" id="tiny" data-testid="tiny" checked={tiny} disabled={running} onChange={(e) => actions.setTiny(e.target.checked)} />
        Tiny size
      </label>
      {/* Classroom mode keeps the preset and the size; the lessons pick the rest. */}
      {!classroom && (
        <>
          <fieldset className="fields" disabled={running}>
            {fields.map((f) => (
              <SettingField key={f.path} spec={f} prefix="field" />
            ))}
          </fieldset>
          {issuesNotShown(
            issues,
            fields.map((f) => f.path),
          ).map((text) => (
            <div key={text} className="field-error" role="alert" data-testid="settings-other-issue">
              {text}
            </div>
          ))}
          <p className="small muted">Changing a setting starts a fresh run at step 0. Pause to edit. Every other setting: All settings, above the panels.</p>
        </>
      )}
      {classroom && running && <p className="small muted" data-testid="classroom-pause-to-edit">Pause to change the preset or the size.</p>}
    </div>
  );
}
