import { CdgPanel } from './panels/CdgPanel';
import { NmPanel } from './panels/NmPanel';
import { SchedulePreview } from './panels/SchedulePreview';
import { SyncpPanel } from './panels/SyncpPanel';

/**
 * The method panels: the schedule, CDG gates, SyncCP masks and N:M patterns. All are
 * always open; a panel that does not apply to the running preset says so in one line.
 */
export function SparsitySlot() {
  return (
    <div className="sparsity-panels" data-testid="sparsity-slot">
      <SchedulePreview />
      <CdgPanel />
      <SyncpPanel />
      <NmPanel />
    </div>
  );
}
