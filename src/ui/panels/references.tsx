// Reference runs (pinned or imported) drawn dotted beside the live run in the loss, kNN,
// density, gate and FLOPs charts, and the bar that pins and removes them.
import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { CHART_MARGIN, DOMAIN_01, DOMAIN_DATA, LegendRow, LineSwatch, TICK_11, pctTick, pctTooltip, stepLabel } from './common';
import { actions } from '../../store/controller';
import { selectReferences, useMetrics, type HistoryPoint, type ReferenceRun } from '../../store/metrics';
import { useRun } from '../../store/run';
import { NEUTRALS, OKABE_ITO, REF_GREY } from '../transforms/palette';
import { dotIfAlone } from '../transforms/lonePoint';
import { keepFocus } from '../keepFocus';

/**
 * A neutral grey, then Okabe–Ito colours the live loss (orange), kNN (blue) and FLOPs-saved
 * (green, hence last) lines do not use; per-layer lines use them all, so refs are dotted too.
 */
const REF_COLOURS = [REF_GREY, OKABE_ITO.vermillion, OKABE_ITO.purple, OKABE_ITO.green];

export const refKey = (r: ReferenceRun) => `ref${r.id}`;
export const refColour = (r: ReferenceRun) => REF_COLOURS[r.slot % REF_COLOURS.length];
export const refLabel = (r: ReferenceRun) => `${r.kind === 'imported' ? 'imported' : 'pinned'}: ${r.name}`;

/** Live chart rows with each reference's `field` (× scale) merged in under refKey, by step. */
export function mergeReferences<T extends { step?: number }>(live: readonly T[], refs: readonly ReferenceRun[], field: keyof Omit<HistoryPoint, 'step'>, scale = 1): (T & Record<string, number>)[] {
  if (refs.length === 0) return live as (T & Record<string, number>)[];
  const byStep = new Map<number, Record<string, number>>(live.map((p) => [p.step ?? 0, { ...p } as Record<string, number>]));
  for (const r of refs) {
    for (const p of r.points) {
      const v = p[field];
      if (v === undefined) continue;
      byStep.set(p.step, { ...(byStep.get(p.step) ?? { step: p.step }), [refKey(r)]: v * scale });
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step) as (T & Record<string, number>)[];
}

/** The reference runs that have any value of `field` (memoised per store change). */
export function useRefsWith(field: keyof Omit<HistoryPoint, 'step'>): ReferenceRun[] {
  const refs = useMetrics(selectReferences);
  return useMemo(() => refs.filter((r) => r.points.some((p) => p[field] !== undefined)), [refs, field]);
}

/**
 * How a reference is drawn: dotted and thicker. The per-layer charts draw each layer's target
 * dashed in the layer's colour, and the reference colours are among the layer colours, so a
 * dashed reference read as one more layer's target.
 */
export const REF_STROKE = { strokeDasharray: '0.5 4.5', strokeWidth: 2.75, strokeLinecap: 'round' } as const;

/**
 * Dotted, labelled lines for the references (children of a recharts LineChart drawing
 * `data`). A reference with one point there gets a dot: a pinned run's kNN after one pass
 * is a single row, and a one-point line draws nothing while the legend still lists it.
 */
export function referenceLines(refs: readonly ReferenceRun[], data: readonly object[]) {
  return refs.map((r) => <Line key={r.id} name={refLabel(r)} type="linear" dataKey={refKey(r)} stroke={refColour(r)} {...REF_STROKE} dot={dotIfAlone(data, refKey(r))} isAnimationActive={false} connectNulls />);
}

/**
 * The references' `field` (a share: density, gate density) alone, for a panel whose method
 * the live run lacks: dense vs 2:4 at a glance while the dense run is live. Same axes, grid
 * and dashes as the panel's own chart; `what` names the series in the legend.
 */
export function ReferencesOnly({ refs, field, what, testId }: { refs: readonly ReferenceRun[]; field: 'density' | 'gate'; what: string; testId: string }) {
  const data = useMemo(() => mergeReferences([], refs, field), [refs, field]);
  return (
    <div className="panel-stack">
      <div className="chart chart-small" data-testid={testId}>
        <TurnContainer>
          <LineChart data={data} margin={CHART_MARGIN} title={`Pinned runs: ${what}`} desc={`The pinned runs’ ${what} (y) against the step (x), dotted`}>
            <CartesianGrid stroke={NEUTRALS.grid} />
            <XAxis dataKey="step" type="number" domain={DOMAIN_DATA} allowDecimals={false} tick={TICK_11} />
            <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
            <Tooltip formatter={pctTooltip} labelFormatter={stepLabel} />
            {referenceLines(refs, data)}
          </LineChart>
        </TurnContainer>
      </div>
      <LegendRow>
        {refs.map((r) => (
          <LineSwatch key={r.id} colour={refColour(r)} dotted label={`${refLabel(r)} (${what})`} />
        ))}
      </LegendRow>
    </div>
  );
}

/** Pin the current run; the references shown, each removable. */
export function ReferenceBar() {
  const refs = useMetrics(selectReferences);
  // Not while the next run builds: the settings (which name the pinned run) are already the
  // next run's, the rows still the last one's.
  const building = useRun((s) => s.building);
  const canPin = useMetrics((s) => s.rows.length > 0) && !building;
  const running = useRun((s) => s.phase === 'running');
  return (
    <div className="ref-bar">
      <button className="btn btn-ghost btn-small" data-testid="pin-run" disabled={!canPin} onClick={actions.pinRun} title={running ? 'Keep the curves so far; the live run goes on' : 'Keep this run’s curves to compare the next runs against (dotted in every chart)'}>
        <PinIcon /> Pin this run
      </button>
      {refs.map((r) => (
        <span className="ref-chip" key={r.id} data-testid="reference-run" style={{ borderColor: refColour(r) }}>
          {refLabel(r)}
          <button className="ref-remove" aria-label={`remove ${r.name}`} data-testid={`unpin-${r.id}`} onClick={keepFocus(() => actions.unpin(r.id), ['pin-run'])}>
            ×
          </button>
        </span>
      ))}
    </div>
  );
}

/** A drawn pin: the 📌 emoji has no glyph where no emoji font is installed (headless Chromium). */
function PinIcon() {
  return (
    <svg className="icon" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" focusable="false">
      <path d="M4 1h4v1l-.6.6v2.6L9.5 7.3V8H6.5v3.2L6 12l-.5-.8V8H2.5v-.7l2.1-2.1V2.6L4 2z" fill="currentColor" />
    </svg>
  );
}
