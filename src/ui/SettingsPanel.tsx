// Every setting, grouped by topic, generated from the settings table (settingsGroups.ts).
// A setting that does not apply to this run is greyed with why; a method that is off in
// this preset (SyncCP, CDG) is not offered at all — editing one of its settings would
// switch it on. Every change restarts the run at step 0.
import { useRun } from '../store/run';
import { useSettings } from '../store/settings';
import { SettingField } from './SettingField';
import { groupedSettings, methodOffReason, methodOn } from './settingsGroups';
import { whyNotApplies } from '../engine/settingsTable';

const GROUPS = groupedSettings();

export function SettingsPanel() {
  const applied = useSettings((s) => s.applied);
  const imported = useSettings((s) => s.importedName !== undefined);
  const configIssue = useSettings((s) => s.issues.config);
  const running = useRun((s) => !s.building && (s.phase === 'running' || s.phase === 'stepping'));
  return (
    <details className="settings-panel" data-testid="settings-panel">
      <summary>
        <span className="settings-panel-title">All settings</span>
        <span className="small muted"> — every setting of the run, by topic</span>
      </summary>
      <p className="small muted settings-panel-note">
        <span aria-hidden="true">↻</span> Every change restarts the run at step 0{running ? '; pause to edit' : ''}. A value that is not allowed is explained under its field, and nothing is applied until it is valid. The link carries every
        setting that differs from the preset.
      </p>
      {configIssue && <div className="field-error">{configIssue}</div>}
      {GROUPS.map(({ topic, settings }) => {
        const off = topic.method && !methodOn(topic.method, applied);
        return (
          <fieldset key={topic.id} className="topic" data-testid={`settings-topic-${topic.id}`} disabled={running || undefined}>
            <legend>{topic.title}</legend>
            <p className="topic-blurb small muted">{topic.blurb}</p>
            {off ? (
              <p className="topic-off" data-testid={`settings-topic-${topic.id}-off`}>
                {methodOffReason(topic.method!, imported)}
              </p>
            ) : (
              <div className="fields fields-wide">
                {settings.map((spec) => (
                  <SettingField key={spec.path} spec={spec} prefix="setting" notApplied={whyNotApplies(spec, applied)} />
                ))}
              </div>
            )}
          </fieldset>
        );
      })}
    </details>
  );
}
