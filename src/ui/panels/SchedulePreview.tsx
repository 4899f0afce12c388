import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { useMemo } from 'react';
import { useRun, type RunState } from '../../store/run';
import { useSettings } from '../../store/settings';
import { NEUTRALS, OKABE_ITO } from '../transforms/palette';
import { asCompletedSteps, schedulePoints } from '../transforms/schedulePoints';
import { CHART_MARGIN, DOMAIN_01, LegendRow, LineSwatch, NotApplicable, STAGGER, TICK_11, pctTick, pctTooltip, stepLabel, useThrottledSelector, useTimelineView } from './common';
import { Panel } from './Panel';

const selectStep = (s: RunState): number => s.step;

const TEXT = {
  density: 'SyncCP prunes on this plan: the fraction of weights kept (density) falls on a cubic curve at the marked update steps; the target branch (dashed) stays denser by the gap. The red line is where training is now.',
  nmFraction: 'SyncCP turns groups of weights into the N:M pattern on this plan: the fraction of N:M groups rises at each update step, the target branch (dashed) lags by the gap. The red line is where training is now.',
  gate: 'CDG gates on this plan: the share of gate-open locations (where the conditional path’s output is used) falls on a cubic curve towards the final density, over both views together. The red line is where training is now.',
};

/** The configured density / N:M / gate schedule, drawn before the run starts, with the current step marked. */
export function SchedulePreview() {
  const running = useRun((s) => s.config);
  const applied = useSettings((s) => s.applied);
  const config = running ?? applied;
  const step = useThrottledSelector(useRun, selectStep, 1000, STAGGER.schedule);
  // Staggered: a new snapshot redraws the panels one after the other, each in its own task.
  const { viewed, scrubbing } = useTimelineView(STAGGER.schedule);
  const series = useMemo(() => schedulePoints(config), [config]);
  // On the axis of "now" and of the other panels (completed steps): an update shows where its step's row does.
  const points = useMemo(() => (series ? asCompletedSteps(series.points, config.steps) : []), [series, config.steps]);
  const domain = useMemo((): [number, number] => [0, config.steps], [config.steps]);
  const label = series?.kind === 'nmFraction' ? 'groups N:M' : series?.kind === 'gate' ? 'gate density' : 'density';
  return (
    <Panel id="schedule-preview" title="Schedule" howTo={series ? TEXT[series.kind] : 'Nothing is scheduled: this run is dense.'}>
      {!series ? (
        <NotApplicable>Dense run: no pruning or gating schedule. Pick a CDG or SyncCP preset to see one.</NotApplicable>
      ) : (
        <div className="chart chart-small" data-testid="schedule-chart">
          <TurnContainer>
            <LineChart data={points} margin={CHART_MARGIN} title="Planned schedule" desc="The density the schedule sets (y) at each step of the run (x)">
              <CartesianGrid stroke={NEUTRALS.grid} />
              <XAxis dataKey="step" type="number" domain={domain} allowDecimals={false} tick={TICK_11} />
              <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
              <Tooltip formatter={pctTooltip} labelFormatter={stepLabel} />
              <Line name={series.kind === 'gate' ? `planned ${label}` : `online ${label}`} type="stepAfter" dataKey="online" stroke={OKABE_ITO.blue} strokeWidth={2} dot={false} isAnimationActive={false} />
              {series.kind !== 'gate' && <Line name={`target ${label}`} type="stepAfter" dataKey="target" stroke={OKABE_ITO.orange} strokeWidth={2} strokeDasharray="5 3" dot={false} isAnimationActive={false} />}
              <ReferenceLine x={step} stroke={OKABE_ITO.vermillion} strokeWidth={2} label={{ value: `now ${step}`, position: 'insideTopRight', fontSize: 11, fill: OKABE_ITO.vermillion }} />
              {scrubbing && viewed && <ReferenceLine x={viewed.step} stroke="#555" strokeDasharray="3 3" label={{ value: `viewing ${viewed.step}`, position: 'insideBottomLeft', fontSize: 11 }} />}
            </LineChart>
          </TurnContainer>
        </div>
      )}
      {series && (
        <LegendRow>
          <LineSwatch colour={OKABE_ITO.blue} label={series.kind === 'gate' ? `planned ${label}` : `online ${label}`} />
          {series.kind !== 'gate' && <LineSwatch colour={OKABE_ITO.orange} dashed label={`target ${label}`} />}
          <LineSwatch colour={OKABE_ITO.vermillion} label="now" />
        </LegendRow>
      )}
    </Panel>
  );
}
