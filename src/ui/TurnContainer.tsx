// Charts that mount one per frame. A recharts chart's first render is its most expensive
// one (it measures text and builds its internal store synchronously); when a run's
// first snapshot arrives, several charts appear at once and, rendered together, held
// the main thread for ~100 ms of CPU in one task. Queued, each mounts in its own task.
import { useEffect, useState, type ReactElement } from 'react';
import { ResponsiveContainer } from 'recharts';

const queue: (() => void)[] = [];
let scheduled = false;

function pump(): void {
  scheduled = false;
  queue.shift()?.();
  if (queue.length) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // After the next paint, so each mount lands in a frame of its own.
  requestAnimationFrame(() => setTimeout(pump, 0));
}

/** Renders nothing until its turn in the page-wide queue, then its children, for good. */
export function useMountedInTurn(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let alive = true;
    queue.push(() => {
      if (alive) setReady(true);
    });
    schedule();
    return () => {
      alive = false;
    };
  }, []);
  return ready;
}

/** A full-size ResponsiveContainer (its parent sets the size) that mounts in its turn. */
export function TurnContainer({ children }: { children: ReactElement }) {
  const ready = useMountedInTurn();
  return ready ? (
    <ResponsiveContainer width="100%" height="100%">
      {children}
    </ResponsiveContainer>
  ) : null;
}
