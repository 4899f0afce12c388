import { useEffect, useState } from 'react';
import { useRun } from '../store/run';
import { fmtFlops, fmtRate } from './format';
import { isWarmingUp } from './warmingUp';

const PHASE_TEXT = { idle: 'paused', running: 'training', stepping: 'one step…', done: 'finished' } as const;

/** The run's status in words; idle at step 0 is a run not started yet, not a paused one (it read "paused" on a fresh page). */
export function statusText(s: { building: boolean; worker?: string; hasRun: boolean; phase: keyof typeof PHASE_TEXT; step: number; error?: { kind: string } }): string {
  if (s.building) return 'building…';
  if (s.worker === 'crashed') return 'stopped';
  if (!s.hasRun) return 'no run';
  // Start and Step are off after a divergence (keys.ts): not "ready", even at step 0.
  if (s.error?.kind === 'diverged') return 'diverged';
  return s.phase === 'idle' && s.step === 0 ? 'ready' : PHASE_TEXT[s.phase];
}

/** The headline numbers: step, rate, loss, kNN accuracy, FLOPs of a step. */
export function Stats() {
  const s = useRun();
  const total = s.config?.steps;
  const status = statusText(s);
  return (
    <div className="stats" data-phase={s.phase} data-testid="stats">
      <div className="stat">
        <div className="stat-label">Step</div>
        <div className="stat-value">
          <span data-testid="step-count">{s.step}</span>
          {total !== undefined && <span className="stat-sub"> / {total}</span>}
        </div>
        {/* A status region: said when the phase changes (the step counter beside it is not, or it would speak every step). */}
        <div className="stat-sub" data-testid="run-phase" data-phase={s.building ? 'building' : s.phase} role="status">
          {status}
        </div>
        <WarmingUp />
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
        {/* data-loss: the exact value (tests compare runs bit for bit; the text is rounded). */}
        <div className="stat-value" data-testid="loss-value" data-loss={s.loss !== undefined ? String(s.loss) : undefined}>
          {s.loss !== undefined ? s.loss.toFixed(4) : '—'}
        </div>
      </div>
      <div className="stat">
        <div className="stat-label">kNN accuracy</div>
        <div className="stat-value" data-testid="knn-value">
          {s.knn !== undefined ? `${(s.knn * 100).toFixed(1)}%` : '—'}
        </div>
        {s.baselines && (
          <div className="stat-sub" data-testid="knn-gain" title="kNN now minus kNN of the same network before training: what training added">
            {s.knn !== undefined
              ? `${s.knn >= s.baselines.untrained ? '+' : '−'}${(Math.abs(s.knn - s.baselines.untrained) * 100).toFixed(1)} pts vs untrained`
              : `untrained ${(s.baselines.untrained * 100).toFixed(1)}%`}
          </div>
        )}
      </div>
      <div className="stat" title="Training FLOPs of one step (forward + backward) of the network's conv and linear layers: effective / dense (BatchNorm, activations, the loss, the optimizer and kNN passes are not counted)">
        <div className="stat-label">FLOPs / step</div>
        <div className="stat-value stat-value-small" data-testid="flops-value">
          {fmtFlops(s.flops?.effective)}
        </div>
        <div className="stat-sub">dense {fmtFlops(s.flops?.dense)}</div>
      </div>
    </div>
  );
}

/**
 * The first step of a run (built, or resumed) compiles the GPU programs (shaders) it uses: seconds on a slow
 * or software adapter. Until it returns, say so and count the seconds, so a press of
 * Start or +1 Step is seen to be working.
 */
function WarmingUp() {
  const warming = useRun(isWarmingUp);
  const backend = useRun((s) => s.backend?.backend);
  const [since, setSince] = useState<number | null>(null);
  const [, tick] = useState(0);
  useEffect(() => {
    if (!warming) {
      setSince(null);
      return;
    }
    setSince(Date.now());
    const id = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(id);
  }, [warming]);
  if (!warming || since === null) return null;
  const seconds = (Date.now() - since) / 1000;
  return (
    <div className="warming" data-testid="warming-up" role="status" title="The first step of a run also prepares the programs every later step reuses">
      <span className="warming-bar" aria-hidden="true" />
      {backend === 'webgpu' || backend === 'webgl' ? 'compiling shaders, first step' : 'warming up, first step'}
      {/* Out of the live region: re-rendered four times a second, a screen reader would read it each time. */}
      <span aria-hidden="true"> · {seconds.toFixed(1)} s</span>
    </div>
  );
}
