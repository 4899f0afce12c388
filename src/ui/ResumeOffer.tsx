import { useState } from 'react';
import { actions } from '../store/controller';
import { presetOf } from '../store/presetOf';
import { useRun } from '../store/run';
import { keepFocus } from './keepFocus';

/** After a reload, a crash or a closed tab: the autosaved run, to resume or discard. */
export function ResumeOffer() {
  const saved = useRun((s) => s.resumable);
  const [discarding, setDiscarding] = useState(false);
  if (!saved) return null;
  const p = presetOf(saved.config);
  const what = `${p.preset}${p.tiny ? ' (tiny)' : ''}${p.exact ? '' : ', changed settings'}`;
  const when = new Date(saved.savedAt).toLocaleString();
  return (
    <div className="notice notice-warn" data-testid="resume-offer" role="status">
      <div className="notice-text">
        A run was saved in this browser: <strong>{what}</strong> at step {saved.step} of {saved.total}, saved {when} on {saved.backend}.
      </div>
      <div className="notice-actions">
        <button className="btn btn-primary" data-testid="resume" onClick={keepFocus(actions.resume)} title={`Continue ${what} from step ${saved.step}, with its history`}>
          Resume {what} at step {saved.step}
        </button>
        <button
          className="btn btn-ghost"
          data-testid="discard-saved"
          disabled={discarding}
          onClick={keepFocus(() => {
            setDiscarding(true);
            void actions.discardSaved().finally(() => setDiscarding(false));
          })}
        >
          {discarding ? 'Discarding…' : 'Discard'}
        </button>
      </div>
    </div>
  );
}
