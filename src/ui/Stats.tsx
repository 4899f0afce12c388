import { useRun } from '../store/run';
import { fmtFlops, fmtRate } from './format';

const PHASE_TEXT = { idle: 'paused', running: 'training', stepping: 'one step…', done: 'finished' } as const;

/** The headline numbers: step, rate, loss, kNN accuracy, FLOPs of a step. */
export function Stats() {
  const s = useRun();
  const total = s.config?.steps;
  const status = s.building ? 'building…' : s.worker === 'crashed' ? 'stopped' : !s.hasRun ? 'no run' : PHASE_TEXT[s.phase];
  return (
    <div className="stats" data-phase={s.phase} data-testid="stats">
      <div className="stat">
        <div className="stat-label">Step</div>
        <div className="stat-value">
          <span data-testid="step-count">{s.step}</span>
          {total !== undefined && <span className="stat-sub"> / {total}</span>}
        </div>
        <div className="stat-sub" data-testid="run-phase" data-phase={s.building ? 'building' : s.phase}>
          {status}
        </div>
      </div>
      <div className="stat">
        <div className="stat-label">Steps / s</div>
        <div className="stat-value" data-testid="steps-per-second">
          {fmtRate(s.stepsPerSecond)}
        </div>
        <div className="stat-sub" title="Tensors alive in the worker after the last step: flat over steps, or something leaks">
          tensors <span data-testid="tensor-count">{s.tensors ?? '—'}</span>
        </div>
      </div>
      <div className="stat">
        <div className="stat-label">Loss</div>
        <div className="stat-value" data-testid="loss-value">
          {s.loss !== undefined ? s.loss.toFixed(4) : '—'}
        </div>
      </div>
      <div className="stat">
        <div className="stat-label">kNN accuracy</div>
        <div className="stat-value" data-testid="knn-value">
          {s.knn !== undefined ? `${(s.knn * 100).toFixed(1)}%` : '—'}
        </div>
      </div>
      <div className="stat" title="Training FLOPs of one step (forward + backward), whole network: effective / dense">
        <div className="stat-label">FLOPs / step</div>
        <div className="stat-value stat-value-small" data-testid="flops-value">
          {fmtFlops(s.flops?.effective)}
        </div>
        <div className="stat-sub">dense {fmtFlops(s.flops?.dense)}</div>
      </div>
    </div>
  );
}
