import { actions } from '../store/controller';
import { useRun, type RunError } from '../store/run';
import { useSettings } from '../store/settings';
import { keepFocus } from './keepFocus';

/**
 * Whether the banner offers Restart. While the worker is down it is the way out whatever
 * error came last: a later one (own images or a file refused by the stopped worker) replaces
 * the crash's banner, and Start, Step and Reset are disabled while crashed.
 */
export function offersRestart(kind: string, worker: string | undefined): boolean {
  return worker === 'crashed' || kind === 'crash' || kind === 'device-lost' || kind === 'fatal';
}

/**
 * A divergence the trainer rolled back past the update that caused it: continuing with a lower
 * rate redoes that update. Otherwise the kept state gives the same non-finite loss at any rate
 * (a step's loss does not depend on it), so only a reset can help.
 */
export function rolledBack(error: RunError): boolean {
  // Said by the worker (DivergenceError.rolledBack), not inferred here a second time.
  return error.rolledBack === true;
}

/** A clause as the start of a sentence. */
const sentence = (clause: string) => clause.charAt(0).toUpperCase() + clause.slice(1);

/** Errors never blank the page: each one says what happened and what to do next. */
export function ErrorBanner() {
  const error = useRun((s) => s.error);
  const worker = useRun((s) => s.worker);
  // Classroom mode hides Export, Import and the Backend select: the advice names what is on screen.
  const classroom = useSettings((s) => s.classroom);
  if (!error) return null;
  const restart = offersRestart(error.kind, worker);
  return (
    <div className="notice notice-error" data-testid="error-banner" data-kind={error.kind} role="alert">
      <div className="notice-text">
        {error.kind === 'diverged' ? (
          error.what ? (
            <>
              <strong>Diverged at step {error.step}.</strong> {sentence(error.what)},{' '}
              {rolledBack(error)
                ? `so that step was undone: the run is back as it was after step ${error.kept}. Continue from there with half the learning rate, or start again from step 0 with it`
                : `and no earlier state is at hand (the run was just built or loaded): it is kept as it was after step ${error.kept}. Start again from step 0 with half the learning rate`}{' '}
              (the run is seeded: a plain reset would diverge at the same step).
            </>
          ) : rolledBack(error) ? (
            <>
              <strong>Diverged at step {error.step}.</strong> The loss was not finite, so that step was not applied, nor the update of step {error.kept! + 1} that led to it: the run is back as
              it was after step {error.kept}. Continue from there with half the learning rate, or start again from step 0 with it (the run is seeded: a plain reset would diverge at the same step).
            </>
          ) : (
            <>
              <strong>Diverged at step {error.step}.</strong> The loss was not finite, so that step was not applied: the run is kept as it was after step {(error.step ?? 1) - 1}, whose
              state gives that loss at any rate (no earlier state is at hand: the run was just built or loaded). Start again from step 0 with half the learning rate (the run is seeded: a plain reset would diverge at the same step).
            </>
          )
        ) : error.kind === 'step-failed' ? (
          <>
            <strong>Step {error.step} failed and was undone.</strong> The run is as it was after step {error.kept}: Step or Start tries it again.{' '}
            {classroom
              ? 'If it fails each time, press “Leave classroom mode”: Export, Import and the backend menu are there, to move the run to another backend.'
              : 'If it fails each time, export the run, pick another backend (the Backend select beside the badge starts a new run), and import the export there.'}{' '}
            What failed:
          </>
        ) : error.kind === 'device-lost' ? (
          <strong>GPU device lost. </strong>
        ) : error.kind === 'crash' || error.kind === 'fatal' ? (
          <strong>Training stopped. </strong>
        ) : null}{' '}
        {error.kind !== 'diverged' && error.message}
      </div>
      <div className="notice-actions">
        {restart && (
          <button className="btn btn-primary" data-testid="restart" onClick={actions.restart}>
            Restart
          </button>
        )}
        {error.kind === 'diverged' && (
          <>
            {rolledBack(error) && (
              <button className="btn btn-primary" data-testid="continue-lower-lr" onClick={keepFocus(() => actions.continueWithLowerLr(0.5))}>
                Continue with lr × ½
              </button>
            )}
            <button className="btn" data-testid="reset-lower-lr" onClick={keepFocus(() => actions.resetWithLowerLr(0.5))}>
              Reset with lr × ½
            </button>
          </>
        )}
        {!restart && (
          <button className="btn btn-ghost" aria-label="dismiss" onClick={keepFocus(actions.dismissError)}>
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}

export function UrlNotice() {
  const notice = useSettings((s) => s.urlNotice);
  if (!notice) return null;
  return (
    <div className="notice notice-warn" data-testid="url-notice" role="status">
      <div className="notice-text">{notice}</div>
      <button className="btn btn-ghost" data-testid="dismiss-url-notice" onClick={keepFocus(actions.dismissUrlNotice)}>
        Dismiss
      </button>
    </div>
  );
}
