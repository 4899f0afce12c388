import { useState } from 'react';
import type { BackendReport } from '../engine/backend';
import { describeSpeedup, formatMs, LIGHTER_WORKLOAD_NOTE, speedupOverSlowest } from '../engine/calibrationSpeedup';
import { calibrationShape, workloadKey } from '../engine/calibrationWorkload';
import type { Config } from '../engine/config';
import { actions } from '../store/controller';
import { useRun } from '../store/run';
import { useSettings } from '../store/settings';
import type { BackendMode } from '../store/url';
import { keepFocus } from './keepFocus';

/** Which backend runs, on which adapter; the notice below says why WebGPU is not used. */
export function BackendBadge() {
  const backend = useRun((s) => s.backend);
  const worker = useRun((s) => s.worker);
  const cls = backend ? `badge badge-${backend.backend}` : 'badge';
  const title = backend ? `${backend.backend} on ${backend.adapter}${backend.softwareAdapter ? ' (software adapter: a real GPU is much faster)' : ''}` : undefined;
  return (
    <div className={cls} data-testid="backend" data-backend={backend?.backend ?? ''} title={title}>
      {backend ? (
        <>
          <strong>{backend.backend}</strong>
          <span className="badge-adapter">
            {backend.adapter}
            {backend.softwareAdapter ? ' · software' : ''}
          </span>
        </>
      ) : worker === 'crashed' ? (
        'no backend'
      ) : (
        'starting…'
      )}
    </div>
  );
}

const MODES: { value: BackendMode; label: string }[] = [
  { value: 'auto', label: 'Fastest (measured)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'wasm', label: 'WebAssembly (SIMD)' },
  { value: 'cpu', label: 'CPU' },
];

/** Which backend to run on: measured (default) or named; a change restarts the run on it. */
export function BackendSelect() {
  const mode = useSettings((s) => s.backend);
  const worker = useRun((s) => s.worker);
  return (
    <label className="backend-select" title="Changing the backend restarts the worker and the run at step 0">
      <span className="sr-only">Backend</span>
      <select data-testid="backend-select" aria-label="Backend" value={mode} disabled={worker === 'starting'} onChange={(e) => actions.setBackend(e.target.value as BackendMode)}>
        {MODES.map((m) => (
          <option key={m.value} value={m.value}>
            {m.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Whether a calibration's workload (its key) is not the one `applied` would time: measured for another model or image size. */
export function measuredForAnother(workload: string | undefined, applied: Config): boolean {
  return workload !== undefined && workload !== workloadKey(calibrationShape(applied));
}

/**
 * What the measurement found and why this backend runs (auto mode): one line a class can
 * read at a glance, and each backend's figure behind "What was measured".
 */
export function CalibrationNotice({ report, onDismiss }: { report: BackendReport; onDismiss?: () => void }) {
  const c = report.calibration!;
  const gain = speedupOverSlowest({ timings: c.timings, chosen: report.backend });
  const fellBack = report.fallbacks.filter((f) => f.backend !== report.backend);
  // The backend is chosen when the worker starts; a later change of model or image size keeps it.
  const applied = useSettings((s) => s.applied);
  const classroom = useSettings((s) => s.classroom);
  const otherWorkload = measuredForAnother(c.workload, applied);
  return (
    <div className="notice notice-info" data-testid="backend-choice" data-chosen={report.backend} data-calibration-ms={c.ms ?? ''} role="status">
      <div className="notice-text">
        <strong>
          Running on {report.backend}: {fellBack.length ? 'fastest of the backends that started' : `fastest ${c.timings.some((t) => t.setAside) ? 'of the backends that can start now' : 'on this device'}`}
          {gain ? `, ${describeSpeedup(gain)}` : ''}.
        </strong>
        {c.cached ? ' Timings measured earlier on this device.' : ''}
        {otherWorkload ? (
          <div data-testid="backend-choice-other-workload">Measured for another model, image size or batch than this run&apos;s: Measure again to time this one (it restarts the run).</div>
        ) : null}
        {/* Measured faster, then failed to start for the run: said, with why. */}
        {fellBack.map((f) => (
          <div key={f.backend} data-testid={`backend-fallback-${f.backend}`}>
            {f.backend} was measured faster but did not start: {f.reason}
          </div>
        ))}
        <details className="notice-details" data-testid="backend-choice-details">
          <summary>What was measured</summary>
          One training workload (the encoder of the run it was measured for, on both views of a batch, forward and backward, under a dense layer) took:
          <ul>
            {c.timings.map((t) => (
              <li key={t.backend} data-testid={`backend-timing-${t.backend}`} data-ms={t.ms ?? ''} data-over-ms={t.overMs ?? ''} data-cut-in-warm-up={t.cutInWarmUp ? '1' : '0'} data-software={t.software ? '1' : '0'}>
                <strong>{t.backend}</strong>
                {t.software ? ' (software adapter: the GPU is emulated on the CPU)' : ''}{' '}
                {t.overMs !== undefined ? `over ${formatMs(t.overMs)} — cut off: ${t.reason}${t.cutOffTwice ? ' (as on the last load: kept until Measure again)' : ''}` : t.ms === null ? `unavailable — ${t.reason ?? 'failed'}` : formatMs(t.ms)}
                {t.lighter ? ` (${LIGHTER_WORKLOAD_NOTE})` : ''}
                {t.backend === report.backend ? ' ← running' : ''}
              </li>
            ))}
          </ul>
          {!c.cached && c.ms !== undefined ? `The measurement took ${formatMs(c.ms)}. ` : ''}
          {/* Classroom mode hides the backend menu. */}
          {classroom ? '' : 'Pick another backend above to compare.'}
        </details>
      </div>
      <div className="notice-actions">
        <button className="btn btn-ghost" data-testid="recalibrate" onClick={actions.recalibrate} title="Time the backends again (restarts the run)">
          Measure again
        </button>
        {onDismiss && (
          <button className="btn btn-ghost" data-testid="dismiss-backend-choice" onClick={keepFocus(onDismiss)} title="Hide this notice (the badge still says which backend runs)">
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}

export function BackendNotice() {
  const backend = useRun((s) => s.backend);
  // Dismissed for this report only: a worker started again (Measure again, Restart, another backend) says its choice again.
  const [dismissed, setDismissed] = useState<BackendReport | undefined>(undefined);
  if (!backend) return null;
  if (backend.calibration) return dismissed === backend ? null : <CalibrationNotice report={backend} onDismiss={() => setDismissed(backend)} />;
  if (backend.backend === 'webgpu') return null;
  const webgpu = backend.fallbacks.find((f) => f.backend === 'webgpu');
  const why = webgpu ? webgpu.reason : backend.requested !== 'webgpu' ? `${backend.requested} was chosen (in the link or the backend menu)` : 'unknown reason';
  // The backend named in the link or the menu did not start: that leads (the WebGPU line would
  // say it was "chosen", and its failure came only as "skipped too").
  const namedFailed = backend.requested !== 'webgpu' && backend.requested !== backend.backend ? backend.fallbacks.find((f) => f.backend === backend.requested) : undefined;
  // No claim about speed here: nothing was measured (on a machine without a GPU, cpu or wasm is the fast one).
  return (
    <div className="notice notice-warn" data-testid="backend-notice" role="status">
      <div className="notice-text">
        {namedFailed ? (
          <>
            <strong>{namedFailed.backend} did not start:</strong> {namedFailed.reason}. Running on the <strong>{backend.backend}</strong> backend ({backend.adapter}).
          </>
        ) : (
          <>
            <strong>WebGPU is not in use.</strong> Why: {why}. Running on the <strong>{backend.backend}</strong> backend ({backend.adapter}).
          </>
        )}
        {backend.fallbacks
          .filter((f) => f.backend !== 'webgpu' && f !== namedFailed)
          .map((f) => (
            <div key={f.backend}>
              {f.backend} skipped too: {f.reason}
            </div>
          ))}
      </div>
      <div className="notice-actions">
        <button className="btn btn-ghost" data-testid="use-fastest" onClick={() => actions.setBackend('auto')} title="Run on the fastest backend: measured now, or as measured earlier on this device (restarts the run)">
          Use the fastest
        </button>
      </div>
    </div>
  );
}
