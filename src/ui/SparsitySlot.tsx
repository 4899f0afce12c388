import { CdgPanel } from './panels/CdgPanel';
import { NmPanel } from './panels/NmPanel';
import { PanelGuard } from './panels/PanelGuard';
import { SchedulePreview } from './panels/SchedulePreview';
import { SyncpPanel } from './panels/SyncpPanel';

/** Each panel with the title its boundary shows if it cannot draw. */
const PANELS = [
  ['Schedule', SchedulePreview],
  ['CDG gate activity', CdgPanel],
  ['SyncCP mask evolution', SyncpPanel],
  ['N:M patterns', NmPanel],
] as const;

/**
 * The method panels: the schedule, CDG gates, SyncCP masks and N:M patterns. All are
 * always open; a panel that does not apply to the running preset says so in one line.
 */
export function SparsitySlot() {
  return (
    <div className="sparsity-panels" data-testid="sparsity-slot">
      {PANELS.map(([title, SparsityPanel]) => (
        <PanelGuard key={title} title={title}>
          <SparsityPanel />
        </PanelGuard>
      ))}
    </div>
  );
}
