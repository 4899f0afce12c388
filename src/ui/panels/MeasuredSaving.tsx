// The FLOPs panel's "measured" line: the counted saving beside the time actually saved on
// this device (this run's recent steps against a few steps of its dense counterpart, timed
// when asked), so a reader sees where counted and realised savings part.
import { actions } from '../../store/controller';
import { useRun } from '../../store/run';
import { TOO_FEW_TIMED } from '../../worker/protocol';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function MeasuredSaving() {
  const timing = useRun((s) => s.denseTiming);
  const measuring = useRun((s) => !!s.measuringDense);
  const note = useRun((s) => s.denseTimingNote);
  // The worker times a run's steps from its second one after a build or restore.
  const timed = useRun((s) => s.timedSteps ?? 0);
  // Not while a run is being built or loaded (the worker would time the new run at step 0 and
  // refuse), nor with the worker stopped; a refusal's note goes once steps are timed.
  const busy = useRun((s) => s.building || !!s.restoring || s.worker !== 'ready' || !s.hasRun);
  const left = useRun((s) => (s.config ? s.config.steps - s.step : 0));
  const shown = timed > 0 && note?.startsWith(TOO_FEW_TIMED) ? undefined : note;
  return (
    <div className="measured-saving small" data-testid="flops-measured">
      <span className="stat-label">measured on this device</span>{' '}
      {timing ? (
        <span data-testid="flops-measured-ratio" data-ratio={timing.runMs / timing.denseMs}>
          a step takes <b>{(timing.runMs / timing.denseMs).toFixed(2)}×</b> a dense step ({ms(timing.runMs)} vs {ms(timing.denseMs)} ms, at step {timing.step}); FLOPs counted:{' '}
          <b>{timing.counted.toFixed(2)}×</b>
        </span>
      ) : (
        <span className="muted">{shown ?? (timed === 0 && left <= 1 && !busy ? 'this run has too few steps left to time (its first step after a build or load compiles, and is not counted)' : 'not yet: time this run against the same network without sparsity')}</span>
      )}{' '}
      {/* No aria-label: the name a voice user says is the text shown (WCAG 2.5.3); the why is its title. */}
      <button type="button" className="link-button" data-testid="measure-dense" disabled={measuring || timed === 0 || busy} onClick={() => actions.measureDense()} aria-busy={measuring} title="Time a few steps of the dense network on this device">
        {measuring ? 'Timing dense steps…' : timing ? 'Measure again' : 'Measure against dense'}
      </button>
    </div>
  );
}
