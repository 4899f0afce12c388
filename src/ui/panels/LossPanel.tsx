import { dotIfAlone } from '../transforms/lonePoint';
import { CartesianGrid, ReferenceLine, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { useMemo } from 'react';
import { selectRows, useMetrics } from '../../store/metrics';
import { mergeReferences, ReferenceBar, referenceLines, refColour, refLabel, useRefsWith } from './references';
import { downsample } from '../transforms/series';
import { useRun } from '../../store/run';
import { sslMethodInfo } from '../../engine/ssl/methodInfo';
import { DOMAIN_DATA, LegendRow, LineSwatch, TICK_11, stepLabel, useThrottledSelector, useTimelineView, STAGGER } from './common';
import { Panel } from './Panel';
import { NEUTRALS, OKABE_ITO } from '../transforms/palette';

/** Points per line: enough for a smooth curve, few enough for a cheap recharts redraw. */
const MAX_POINTS = 300;

interface Point {
  step: number;
  loss?: number;
}

/** Contrastive loss per step; pinned and imported runs are drawn dashed beside it. */
export function LossPanel() {
  const { viewed, scrubbing } = useTimelineView(STAGGER.loss);
  const scrubStep = scrubbing ? viewed?.step : undefined;
  // At most once a second (like the sparsity panels), not on every progress message.
  const rows = useThrottledSelector(useMetrics, selectRows, 1000, STAGGER.loss);
  const refs = useRefsWith('loss');
  const method = useRun((s) => s.config?.ssl.method);
  const data = useMemo(() => {
    const live: Point[] = downsample(rows, MAX_POINTS).map((r) => ({ step: r.step, loss: r.loss }));
    return refs.length ? mergeReferences(live, refs, 'loss') : live;
  }, [rows, refs]);
  // Each method says how its loss reads (its file in ssl/).
  const howTo = sslMethodInfo(method ?? 'simclr').lossHelp;
  return (
    <Panel id="panel-loss" title="Loss" howTo={howTo}>
      <ReferenceBar />
      <div className="chart">
        {data.length === 0 ? (
          <div className="chart-empty">Press Start (or +1 Step) to train; the loss appears here.</div>
        ) : (
          <TurnContainer>
            <LineChart data={data} margin={MARGIN} title="Loss over steps" desc="Training loss (y) against the step (x); the table and the counters above give the latest value">
              <CartesianGrid stroke={NEUTRALS.grid} />
              <XAxis dataKey="step" type="number" domain={DOMAIN_DATA} allowDecimals={false} tick={TICK_11} />
              <YAxis domain={AUTO} tick={TICK_11} width={44} tickFormatter={lossTick} />
              <Tooltip formatter={lossTooltip} labelFormatter={stepLabel} />
              {scrubStep !== undefined && <ReferenceLine x={scrubStep} stroke="#555" strokeDasharray="3 3" ifOverflow="extendDomain" />}
              <Line name="this run" type="linear" dataKey="loss" stroke={OKABE_ITO.orange} dot={dotIfAlone(data, 'loss')} strokeWidth={2} isAnimationActive={false} connectNulls />
              {referenceLines(refs, data)}
            </LineChart>
          </TurnContainer>
        )}
      </div>
      {/* Below the chart, as HTML: recharts' own legend overlapped the plot once pins wrapped it to a second line. */}
      {refs.length > 0 && data.length > 0 && (
        <LegendRow>
          <LineSwatch colour={OKABE_ITO.orange} label="this run" />
          {refs.map((r) => (
            <LineSwatch key={r.id} colour={refColour(r)} dotted label={refLabel(r)} />
          ))}
        </LegendRow>
      )}
    </Panel>
  );
}

const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 } as const;
const AUTO: [string, string] = ['auto', 'auto'];
const lossTick = (v: number): string => v.toFixed(2);
const lossTooltip = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : String(v));
