import { useRun } from '../store/run';

/**
 * Where the method panels go: panel-cdg, panel-syncp, panel-nm and panel-flops (one
 * file each in src/ui/panels/, fed by Snapshot.plugins and the progress rows). Until
 * they exist this says what the current config would show.
 */
export function SparsitySlot() {
  const config = useRun((s) => s.config);
  const method = config?.cdg ? 'CDG gates' : config?.syncp ? `SyncCP masks (${config.syncp.granularity})` : undefined;
  return (
    <div className="slot" data-testid="sparsity-slot">
      <h2>Sparsity</h2>
      <p className="howto">
        {method
          ? `${method}: per-layer density and gate maps will appear here.`
          : 'This run is dense: every weight and activation is computed. Pick a CDG or SyncCP preset to see sparsity act.'}
      </p>
    </div>
  );
}
