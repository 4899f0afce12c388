import { dotIfAlone } from '../transforms/lonePoint';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { memo, useMemo } from 'react';
import { selectRows, useMetrics, type ReferenceRun } from '../../store/metrics';
import { mergeReferences, refColour, referenceLines, refLabel, useRefsWith } from './references';
import { useRun } from '../../store/run';
import { fmtFlops } from '../format';
import { NEUTRALS, OKABE_ITO } from '../transforms/palette';
import { cumulativeFlops, type CumulativePoint } from '../transforms/series';
import { CHART_MARGIN, DOMAIN_01, DOMAIN_DATA, LegendRow, LineSwatch, STAGGER, Swatch, TICK_11, pct, pctTick, shortName, useThrottledSelector, useTimelineView } from './common';
import { MeasuredSaving } from './MeasuredSaving';
import { Panel } from './Panel';
import type { CDGConfig } from '../../engine/config';

const HOW_TO =
  'FLOPs count the arithmetic of one training step in the conv and linear layers (forward and backward of each trained branch; BYOL’s target forward only); BatchNorm, activations, the loss, the optimizer and the kNN passes are not counted, and none of them shrinks with sparsity. Grey bars: what a dense network costs; blue: what a kernel that skips pruned weights and closed gates would need for this run. Counted, not timed: what is actually skipped depends on the backend (cpu and WebGPU skip pruned weights where that pays — on cpu at density ≤ 0.4 or with whole channels pruned — and closed gates; wasm only the closed gates’ gradients; WebGL neither); the measured line below compares the step time of this run with that of the dense run on this device. The line adds up the whole run so far: the share of work a sparse kernel could save.';

/**
 * How the FLOPs count CDG's gate gradient. A quantile gate at a final density of 0 passes no
 * gradient once the schedule has closed every gate (cdg.ts countedGradient), so 'ste' is then
 * counted as 'detached'.
 */
export function gateGradientText(cdg: Pick<CDGConfig, 'gateGradient' | 'threshold' | 'density'>): string {
  if (cdg.gateGradient === 'detached') return 'detached — closed locations counted as needing no conditional work, forward or backward';
  const closes = cdg.threshold === 'quantile' && cdg.density === 0;
  return `straight-through (STE) — the conditional forward is counted in full in training (the gate’s gradient needs it at closed locations), its backward only where gates open${closes ? '; at a final density of 0, once the schedule has closed every gate no gradient reaches them, and the count is the detached one' : ''}`;
}

/** Dense vs effective training FLOPs per layer and in total, and the cumulative saving. */
export function FlopsPanel() {
  const config = useRun((s) => s.config);
  // Staggered: a new snapshot redraws the panels one after the other, each in its own task.
  const { viewed, scrubbing } = useTimelineView(STAGGER.flops);
  const rows = useThrottledSelector(useMetrics, selectRows, 1000, STAGGER.flops);
  const f = viewed?.flops;
  const bars = useMemo(() => (f ? f.layers.map((l) => ({ layer: shortName(l.name), name: l.name, dense: l.dense, effective: l.effective })) : []), [f]);
  const cum = useMemo(() => cumulativeFlops(rows), [rows]);
  const refs = useRefsWith('saving');
  const sparse = !!(config?.cdg || config?.syncp);
  return (
    <Panel id="panel-flops" title="FLOPs: dense vs effective" howTo={HOW_TO}>
      {!f ? (
        <div className="chart-empty">Waiting for the first snapshot…</div>
      ) : (
        <div className="panel-stack">
          <div className="flops-totals" data-testid="flops-totals">
            <div>
              <span className="stat-label">dense / step</span>
              <b>{fmtFlops(f.dense)}</b>
            </div>
            <div>
              <span className="stat-label">effective / step</span>
              <b>{fmtFlops(f.effective)}</b>
            </div>
            <div>
              <span className="stat-label">saved at step {viewed?.step}</span>
              <b data-testid="flops-saving">{pct(f.dense > 0 ? 1 - f.effective / f.dense : 0, 1)}</b>
            </div>
          </div>
          {!sparse ? <p className="small muted">Dense run: effective equals dense.</p> : <MeasuredSaving />}
          {config?.cdg && (
            <p className="small muted" data-testid="flops-gate-gradient">
              CDG gate gradient: {gateGradientText(config.cdg)}.
            </p>
          )}
          <h4 className="sub">Per layer, FLOP per training step</h4>
          <div className="chart" data-testid="flops-bars" style={{ height: Math.max(160, 26 + bars.length * 20) }}>
            <FlopsBars bars={bars} />
          </div>
          <LegendRow>
            <Swatch colour="#b9bfc8" label="dense" />
            <Swatch colour={OKABE_ITO.blue} label="effective (dense minus the work of pruned weights and closed gates)" />
          </LegendRow>
          <h4 className="sub">Work saved so far (all steps of this run)</h4>
          <div className="chart chart-small" data-testid="flops-cumulative">
            {cum.length === 0 ? <div className="chart-empty">Train a step to start counting.</div> : <CumulativeChart cum={cum} refStep={scrubbing ? viewed?.step : undefined} refs={refs} />}
          </div>
          {refs.length > 0 && (
            <LegendRow>
              <LineSwatch colour={OKABE_ITO.green} label="this run" />
              {refs.map((r) => (
                <LineSwatch key={r.id} colour={refColour(r)} dotted label={refLabel(r)} />
              ))}
            </LegendRow>
          )}
        </div>
      )}
    </Panel>
  );
}

const BARS_MARGIN = { top: 4, right: 16, bottom: 0, left: 0 } as const;
const flopsTick = (v: number): string => fmtFlops(v).replace('FLOP', '');
const flopsTooltip = (v: unknown): string => (typeof v === 'number' ? fmtFlops(v) : String(v));
const layerLabel = (l: unknown, p: readonly { payload?: { name?: string } }[] | undefined): string => String(p?.[0]?.payload?.name ?? l);
const savedTooltip = (v: unknown, name: unknown, p: { payload?: unknown }): string | [string, string] => {
  const q = p.payload as { dense: number; effective: number };
  // Pinned or imported runs' lines carry fractions too, without this run's FLOPs.
  if (name !== 'saved') return typeof v === 'number' ? pct(v, 1) : String(v);
  return [`${pct(v as number, 1)} (${fmtFlops(q.dense - q.effective)} of ${fmtFlops(q.dense)})`, 'saved'];
};
const throughLabel = (l: unknown): string => `through step ${String(l)}`;

const FlopsBars = memo(function FlopsBars({ bars }: { bars: { layer: string; name: string; dense: number; effective: number }[] }) {
  return (
    <TurnContainer>
      <BarChart data={bars} layout="vertical" margin={BARS_MARGIN} barCategoryGap={3} title="FLOPs per layer, dense and effective" desc="Per layer (rows): the dense FLOPs of a training step and what this run counts as computed">
        <CartesianGrid stroke={NEUTRALS.grid} horizontal={false} />
        <YAxis type="category" dataKey="layer" tick={TICK_11} interval={0} width={78} />
        <XAxis type="number" tick={TICK_11} tickFormatter={flopsTick} />
        <Tooltip formatter={flopsTooltip} labelFormatter={layerLabel} />
        <Bar name="dense" dataKey="dense" fill="#b9bfc8" isAnimationActive={false} />
        <Bar name="effective" dataKey="effective" fill={OKABE_ITO.blue} isAnimationActive={false} />
      </BarChart>
    </TurnContainer>
  );
});

const CumulativeChart = memo(function CumulativeChart({ cum, refStep, refs }: { cum: readonly CumulativePoint[]; refStep?: number; refs: readonly ReferenceRun[] }) {
  const data = useMemo(() => (refs.length ? mergeReferences(cum, refs, 'saving') : cum), [cum, refs]);
  return (
    <TurnContainer>
      <LineChart data={data} margin={CHART_MARGIN} title="FLOPs saved so far" desc="Share of the dense training FLOPs saved through each step (y) against the step (x)">
        <CartesianGrid stroke={NEUTRALS.grid} />
        <XAxis dataKey="step" type="number" domain={DOMAIN_DATA} allowDecimals={false} tick={TICK_11} />
        <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
        <Tooltip formatter={savedTooltip} labelFormatter={throughLabel} />
        <Line name="saved" dataKey="saving" stroke={OKABE_ITO.green} strokeWidth={2} dot={dotIfAlone(data, 'saving')} isAnimationActive={false} connectNulls />
        {referenceLines(refs, data)}
        {refStep !== undefined && <ReferenceLine x={refStep} stroke="#555" strokeDasharray="3 3" ifOverflow="extendDomain" />}
      </LineChart>
    </TurnContainer>
  );
});
