import { useRun } from '../store/run';

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

export function BackendNotice() {
  const backend = useRun((s) => s.backend);
  if (!backend || backend.backend === 'webgpu') return null;
  const webgpu = backend.fallbacks.find((f) => f.backend === 'webgpu');
  const why = webgpu ? webgpu.reason : backend.requested !== 'webgpu' ? `${backend.requested} was asked for in the link` : 'unknown reason';
  return (
    <div className="notice notice-warn" data-testid="backend-notice" role="status">
      <strong>WebGPU is not in use.</strong> Why: {why}. Running on the <strong>{backend.backend}</strong> backend ({backend.adapter}) instead, which is slower.
      {backend.fallbacks
        .filter((f) => f.backend !== 'webgpu')
        .map((f) => (
          <div key={f.backend}>
            {f.backend} skipped too: {f.reason}
          </div>
        ))}
    </div>
  );
}
