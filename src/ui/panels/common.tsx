import { startTransition, useEffect, useMemo, useState, type ReactNode } from 'react';
import { selectScrubbing, selectViewed, useTimeline } from '../../store/timeline';
import type { Snapshot } from '../../worker/protocol';

/**
 * Width of an element, following resizes. A callback ref: the element may mount after the
 * panel's first render (it waits for a run and a snapshot), and a ref object read once in
 * an effect would never see it.
 */
export function useWidth<T extends HTMLElement>(fallback: number): [(el: T | null) => void, number] {
  const [el, setEl] = useState<T | null>(null);
  const [w, setW] = useState(fallback);
  useEffect(() => {
    if (!el) return;
    const ro = new ResizeObserver(([e]) => setW(Math.max(120, Math.floor(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return [setEl, w];
}

export function Swatch({ colour, label, outline }: { colour: string; label: ReactNode; outline?: boolean }) {
  return (
    <span className="swatch">
      <i style={{ background: colour, outline: outline ? '1px solid #999' : undefined }} />
      {label}
    </span>
  );
}

export function LegendRow({ children }: { children: ReactNode }) {
  return <div className="legend-row">{children}</div>;
}

/** One line saying why a panel has nothing to show for this run. */
export function NotApplicable({ children }: { children: ReactNode }) {
  return (
    <p className="not-applicable" data-testid="not-applicable">
      {children}
    </p>
  );
}

/**
 * A layer picker. `context` names what it picks for (three panels each have one): the
 * accessible name is "Layer (context)", which keeps the visible word (WCAG 2.5.3) and tells
 * the three apart in a screen reader's list of form controls.
 */
export function LayerSelect({ layers, value, onChange, testId, context, label = 'Layer' }: { layers: readonly string[]; value: string | undefined; onChange: (v: string) => void; testId: string; context: string; label?: string }) {
  return (
    <label className="inline-select">
      {label}{' '}
      <select data-testid={testId} aria-label={`${label} (${context})`} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        {layers.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

export const pct = (v: number | undefined, digits = 0): string => (v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)}%`);

/**
 * A share that is 100% or 0% only when exactly so: 0.9996 reads ">99.9%", not "100.0%".
 * For what is whole by construction in one mode and measured in another (nestedness is 1
 * with shared scores, measured with per-branch ones), a rounded 100% would hide the rest.
 */
export const pctExact = (v: number | undefined, digits = 1): string => {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const step = 10 ** -digits;
  if (v < 1 && v * 100 > 100 - step / 2) return `>${(100 - step).toFixed(digits)}%`;
  if (v > 0 && v * 100 < step / 2) return `<${step.toFixed(digits)}%`;
  return pct(v, digits);
};

/** Short conv names for axes: "s2.b0.conv1" stays; long names are fine in tooltips. */
export const shortName = (name: string): string => name.replace(/^s(\d+)\.b(\d+)\./, 's$1b$2.');

/** Colour of each layer's lines (same order as the charts). */
export function LayerLegend({ layers, colour, extra }: { layers: readonly string[]; colour: (i: number) => string; extra?: ReactNode }) {
  return (
    <LegendRow>
      {layers.map((l, i) => (
        <Swatch key={l} colour={colour(i)} label={shortName(l)} />
      ))}
      {extra}
    </LegendRow>
  );
}

/** A line swatch (solid, dashed or wide) for legends. */
export function LineSwatch({ colour, label, dashed, dotted, wide }: { colour: string; label: ReactNode; dashed?: boolean; dotted?: boolean; wide?: boolean }) {
  return (
    <span className="swatch">
      <svg width="22" height="10" aria-hidden>
        {dotted ? (
          <line x1="2" y1="5" x2="21" y2="5" stroke={colour} strokeWidth={2.75} strokeDasharray="0.5 4.5" strokeLinecap="round" />
        ) : (
          <line x1="1" y1="5" x2="21" y2="5" stroke={colour} strokeWidth={wide ? 6 : 2} strokeDasharray={dashed ? '4 3' : undefined} />
        )}
      </svg>
      {label}
    </span>
  );
}

interface Subscribable<S> {
  getState(): S;
  subscribe(listener: (state: S) => void): () => void;
}

/**
 * A store value that re-renders the component at most every `ms` (newest value always
 * delivered), as a transition. Unlike useStore(selector) + useThrottled, the component
 * does not re-render on every store change in between. `selector` must be stable.
 */
export function useThrottledSelector<S, T>(store: Subscribable<S>, selector: (s: S) => T, ms: number, offset = 0): T {
  const [value, setValue] = useState(() => selector(store.getState()));
  useEffect(() => {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let prev = selector(store.getState());
    const flush = () => {
      timer = undefined;
      last = performance.now();
      const next = selector(store.getState());
      startTransition(() => setValue(() => next));
    };
    flush();
    const unsubscribe = store.subscribe((s) => {
      const next = selector(s);
      if (Object.is(next, prev)) return;
      prev = next;
      if (timer !== undefined) return;
      const wait = last + ms - performance.now();
      if (wait <= 0 && offset === 0) flush();
      else timer = setTimeout(flush, Math.max(0, wait) + offset);
    });
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [store, selector, ms, offset]);
  return value;
}

/**
 * Stagger slots (ms) of the panels, in page order: a new snapshot redraws them one after
 * the other, each in its own task, instead of all of them in one long task.
 */
export const STAGGER = { data: 0, schedule: 0, cdg: 60, syncp: 120, nm: 180, flops: 240, loss: 300, knn: 330 } as const;

/** The snapshot a panel shows (scrubbed or newest) and whether the user is scrubbing, in the panel's stagger slot. */
export function useTimelineView(offset: number): { viewed: Snapshot | undefined; scrubbing: boolean } {
  const viewed = useThrottledSelector(useTimeline, selectViewed, 0, offset);
  const scrubbing = useThrottledSelector(useTimeline, selectScrubbing, 0, offset);
  return { viewed, scrubbing };
}

// Constant recharts props. recharts 3 copies axis/grid/line settings into its own store
// from effects whenever a prop changes identity; an inline `{ fontSize: 11 }` or
// `[0, 1]` is a new object every render, so every parent render dispatched to every
// chart's store and re-rendered it synchronously. Module-level constants keep those
// effects quiet, and memoised chart components (below) skip unchanged charts entirely.
export const CHART_MARGIN = { top: 6, right: 12, bottom: 0, left: 0 } as const;
export const TICK_10 = { fontSize: 10 } as const;
export const TICK_11 = { fontSize: 11 } as const;
export const TICK_12 = { fontSize: 12 } as const;
export const DOMAIN_01: [number, number] = [0, 1];
export const DOMAIN_DATA: [string, string] = ['dataMin', 'dataMax'];
export const pctTick = (v: number): string => pct(v);
export const pctTooltip = (v: unknown): string => (typeof v === 'number' ? pctExact(v, 1) : String(v));
export const stepLabel = (l: unknown): string => `step ${String(l)}`;
export const updateLabel = (l: unknown): string => `update at step ${String(l)}`;

/** The same array while its items are equal (identity of the strings), e.g. layer names from each snapshot. */
export function useStableList(xs: readonly string[]): readonly string[] {
  const k = xs.join('\u0000');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the contents
  return useMemo(() => xs, [k]);
}
