// Per-layer lines for both SyncCP branches (solid online, dashed target) over the planned
// schedule (wide grey), with the current or scrubbed step marked: the shared chart of the
// SyncCP density panel and the N:M fraction panel. Series rows come from
// transforms/series (`key(layer, branch)` columns) merged with `plannedOnline/Target`.
import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { NEUTRALS, OKABE_ITO, seriesColour } from '../transforms/palette';
import { key } from '../transforms/series';
import { TurnContainer } from '../TurnContainer';
import { dotIfAlone } from '../transforms/lonePoint';
import type { ReferenceRun } from '../../store/metrics';
import { refColour, referenceLines, refLabel } from './references';
import { CHART_MARGIN, DOMAIN_01, LayerLegend, LineSwatch, TICK_11, pctTick, pctTooltip, shortName, stepLabel } from './common';

const DOT_2 = { r: 2 } as const;
const LONE_DOT = { r: 3 } as const;
const NO_REFS: readonly ReferenceRun[] = [];

export interface BranchLinesProps {
  series: Record<string, number>[];
  names: readonly string[];
  steps: number;
  refStep?: number;
  scrubbing: boolean;
  /** Dots on the online lines (values that only change at sparse updates read better with them). */
  dots?: boolean;
  /** Pinned or imported runs whose mean is merged into `series` under refKey: drawn dotted. */
  refs?: readonly ReferenceRun[];
}

/** Memoised: only new rows or a moved marker redraw it. */
export const BranchLinesChart = memo(function BranchLinesChart({ series, names, steps, refStep, scrubbing, dots = false, refs = NO_REFS }: BranchLinesProps) {
  const domain = useMemo((): [number, number] => [0, steps], [steps]);
  // A line of one point draws nothing (after the first "+1 Step" only the plan showed): a
  // dot until a second point comes. As a string, so only a change of it redraws the lines.
  const alone = names.map((name) => `${dotIfAlone(series, key(name, 'online')) ? 1 : 0}${dotIfAlone(series, key(name, 'target')) ? 1 : 0}`).join('');
  // The layer lines only change with the layers: a moved marker does not re-render them.
  const lines = useMemo(
    () =>
      names.flatMap((name, i) => [
        <Line key={`${name}o`} name={`${shortName(name)} online`} type="stepAfter" dataKey={key(name, 'online')} stroke={seriesColour(i)} strokeWidth={1.5} dot={dots ? DOT_2 : alone[2 * i] === '1' ? LONE_DOT : false} isAnimationActive={false} connectNulls />,
        <Line key={`${name}t`} name={`${shortName(name)} target`} type="stepAfter" dataKey={key(name, 'target')} stroke={seriesColour(i)} strokeWidth={1.5} strokeDasharray="4 3" dot={alone[2 * i + 1] === '1' ? LONE_DOT : false} isAnimationActive={false} connectNulls legendType="none" />,
      ]),
    [names, dots, alone],
  );
  return (
    <TurnContainer>
      <LineChart data={series} margin={CHART_MARGIN} title="Weight density per layer over steps" desc="Kept share of weights (y) of each layer against the step (x): online branch solid, target dashed">
        <CartesianGrid stroke={NEUTRALS.grid} />
        <XAxis dataKey="step" type="number" domain={domain} allowDecimals={false} tick={TICK_11} />
        <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
        <Tooltip formatter={pctTooltip} labelFormatter={stepLabel} />
        <Line name="plan, online" type="stepAfter" dataKey="plannedOnline" stroke="#c9ced6" strokeWidth={6} dot={false} isAnimationActive={false} connectNulls legendType="plainline" />
        <Line name="plan, target" type="stepAfter" dataKey="plannedTarget" stroke="#e2e5ea" strokeWidth={6} dot={false} isAnimationActive={false} connectNulls legendType="plainline" />
        {lines}
        {referenceLines(refs, series)}
        <ReferenceLine x={refStep} stroke={scrubbing ? '#555' : OKABE_ITO.vermillion} strokeDasharray={scrubbing ? '3 3' : undefined} />
      </LineChart>
    </TurnContainer>
  );
});

/** Layer colours plus the online / target / plan line styles. */
export function BranchLinesLegend({ names, refs = NO_REFS }: { names: readonly string[]; refs?: readonly ReferenceRun[] }) {
  return (
    <LayerLegend
      layers={names}
      colour={seriesColour}
      extra={
        <>
          <LineSwatch colour="#555" label="online" />
          <LineSwatch colour="#555" dashed label="target" />
          <LineSwatch colour="#c9ced6" wide label="plan" />
          {refs.map((r) => (
            <LineSwatch key={r.id} colour={refColour(r)} dotted label={`${refLabel(r)} (mean online)`} />
          ))}
        </>
      }
    />
  );
}
