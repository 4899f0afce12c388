import { CdgPanel } from './panels/CdgPanel';
import { NmPanel } from './panels/NmPanel';
import { PanelGuard } from './panels/PanelGuard';
import { SchedulePreview } from './panels/SchedulePreview';
import { SyncpPanel } from './panels/SyncpPanel';

/**
 * The method panels: the schedule, CDG gates, SyncCP masks and N:M patterns. All are
 * always open; a panel that does not apply to the running preset says so in one line.
 */
export function SparsitySlot() {
  return (
    <div className="sparsity-panels" data-testid="sparsity-slot">
      <PanelGuard title="Schedule">
        <SchedulePreview />
      </PanelGuard>
      <PanelGuard title="CDG gate activity">
        <CdgPanel />
      </PanelGuard>
      <PanelGuard title="SyncCP mask evolution">
        <SyncpPanel />
      </PanelGuard>
      <PanelGuard title="N:M patterns">
        <NmPanel />
      </PanelGuard>
    </div>
  );
}
