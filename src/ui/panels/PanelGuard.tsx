import type { ReactNode } from 'react';
import { ErrorBoundary, getErrorMessage } from 'react-error-boundary';
import { useRun } from '../../store/run';
import { useTimeline } from '../../store/timeline';

/**
 * One panel that throws while it renders (a snapshot it cannot draw, a bug) shows why in
 * its own place; without a boundary React unmounts the whole page. It tries again when
 * what it draws moves on: a new step or snapshot, or another one scrubbed to.
 */
export function PanelGuard({ title, children }: { title: string; children?: ReactNode }) {
  const step = useRun((s) => s.step);
  const entries = useTimeline((t) => t.entries.length);
  const viewIndex = useTimeline((t) => t.viewIndex);
  return (
    <ErrorBoundary
      resetKeys={[step, entries, viewIndex]}
      fallbackRender={({ error }) => (
        <section className="panel" role="alert" data-testid="panel-failed" aria-label={title}>
          <header className="panel-head">
            <h2>{title}</h2>
          </header>
          <div className="panel-body">
            <p className="small">
              This panel could not draw what it was given ({getErrorMessage(error) ?? String(error)}). The rest of the page goes on; the panel tries again with the next step or snapshot.
            </p>
          </div>
        </section>
      )}
    >
      {children}
    </ErrorBoundary>
  );
}
