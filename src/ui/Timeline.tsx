import { actions } from '../store/controller';
import { MAX_ENTRIES, useTimeline } from '../store/timeline';

/** Scrub through recorded snapshots: every panel then shows that step. "Live" follows training again. */
export function Timeline() {
  const entries = useTimeline((t) => t.entries);
  const viewIndex = useTimeline((t) => t.viewIndex);
  if (entries.length === 0) return null;
  const index = viewIndex ?? entries.length - 1;
  const live = viewIndex === null;
  return (
    <div className="timeline" data-testid="timeline-bar">
      <label htmlFor="timeline" className="timeline-label">
        Timeline
      </label>
      <input
        id="timeline"
        type="range"
        data-testid="timeline"
        min={0}
        max={entries.length - 1}
        step={1}
        value={index}
        onChange={(e) => actions.viewSnapshot(Number(e.target.value))}
        aria-valuetext={`step ${entries[index].step}`}
      />
      <span className="timeline-step" data-testid="timeline-step" data-step={entries[index].step}>
        {live ? `live · step ${entries[index].step}` : `viewing step ${entries[index].step}`}
      </span>
      <button className="btn btn-ghost btn-small" data-testid="timeline-live" disabled={live} onClick={() => actions.viewSnapshot(null)}>
        Live
      </button>
      {/* True at any count: said as a rule, not as if steps had been dropped already (it read "1 recorded steps (older ones thinned out)" at step 0). */}
      <span className="small muted" data-testid="timeline-count">
        {entries.length} recorded step{entries.length === 1 ? '' : 's'} (at most {MAX_ENTRIES}: older ones are thinned out)
      </span>
    </div>
  );
}
