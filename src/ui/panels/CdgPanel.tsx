import { dotIfAlone } from '../transforms/lonePoint';
import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { memo, useMemo } from 'react';
import { actions } from '../../store/controller';
import { selectRows, useMetrics } from '../../store/metrics';
import { useRun } from '../../store/run';
import { selectCdgLayer, useTimeline } from '../../store/timeline';
import { Heatmap } from '../Heatmap';
import { gateCellOf, gateOverlayRgba } from '../transforms/gateOverlay';
import { NEUTRALS, OKABE_ITO, seriesColour } from '../transforms/palette';
import { key, layerSeries } from '../transforms/series';
import type { ReferenceRun } from '../../store/metrics';
import type { CDGSnapshot } from '../../engine/sparsity/cdg';
import { branchLabels } from '../transforms/branchLabels';
import { mergeReferences, refColour, referenceLines, ReferencesOnly, refLabel, useRefsWith } from './references';
import { CHART_MARGIN, DOMAIN_01, DOMAIN_DATA, LayerLegend, LayerSelect, LegendRow, LineSwatch, NotApplicable, STAGGER, Swatch, TICK_10, TICK_11, pct, pctTick, pctTooltip, shortName, stepLabel, useStableList, useThrottledSelector, useWidth, useTimelineView } from './common';
import { Panel } from './Panel';
import { PRESET_LABELS } from '../presetLabels';

const HOW_TO =
  'Each gated layer always computes a cheap base part; the rest is needed only where a gate opens. On the cpu and WebGPU backends the rest is computed only where the gate training needs it (setting Sparse kernels); on wasm its forward runs everywhere and only its gradients skip closed locations; on WebGL it is computed everywhere and multiplied by the gate (counted as skippable, not skipped). Bars: the share of locations open for view 1 and view 2 (one threshold for both, so the more salient view keeps more); with BYOL, for the online and the target network, each over both views. Pictures: bright = open, dark = closed, for the chosen layer. Evaluation (kNN) gates each image alone with a fixed threshold per layer: the running average of the training thresholds, or, with a learned threshold, the learned Δ (which trains on the dense-then-multiply path on every backend).';

/** What the gate-gradient mode means for the work a gated kernel could skip. */
function gateGradientText(mode: CDGSnapshot['gateGradient']): string {
  return mode === 'detached'
    ? 'detached: closed locations pass no gradient to the gate, so training needs the rest of the convolution only where a gate opens'
    : 'straight-through (STE): the gate learns from the rest of the convolution at closed locations too, so training needs its forward everywhere; only its backward is skippable';
}

/** What a closed location could skip: with the straight-through gradient the gate learns from the rest's forward there, so only its backward. */
const closedSkips = (mode: CDGSnapshot['gateGradient']): string => (mode === 'detached' ? 'rest skippable' : "rest's backward skippable");

/** CDG gate activity: per-layer gate density per branch, over steps, and the probe pair's gate maps. */
export function CdgPanel() {
  const config = useRun((s) => s.config);
  // Staggered: a new snapshot redraws the panels one after the other, each in its own task.
  const { viewed, scrubbing } = useTimelineView(STAGGER.cdg);
  const rows = useThrottledSelector(useMetrics, selectRows, 1000, STAGGER.cdg);
  const chosen = useThrottledSelector(useTimeline, selectCdgLayer, 0, STAGGER.cdg);
  const [boxRef, width] = useWidth<HTMLDivElement>(400);
  const snap = viewed?.plugins.cdg;
  const refs = useRefsWith('gate');
  const series = useMemo(() => (config?.cdg ? mergeReferences(layerSeries(rows, 'gateDensity'), refs, 'gate') : []), [rows, config, refs]);
  const names = useStableList((snap?.layers ?? []).map((l) => l.name));
  const bars = useMemo(() => (snap?.layers ?? []).map((l) => ({ layer: shortName(l.name), name: l.name, branch1: l.gateDensity.online, branch2: l.gateDensity.target })), [snap]);
  if (!config?.cdg) {
    return (
      <Panel id="panel-cdg" title="CDG gate activity" howTo="Contrastive dual gating skips computation per location.">
        <NotApplicable>CDG is off in this run: no gates to show. Pick the preset “{PRESET_LABELS.cdg}” to see where computation is spent.</NotApplicable>
        {refs.length > 0 && (
          <>
            <p className="small muted">Dotted: the pinned or imported CDG runs’ gate density (mean over layers and both views), to compare this run with.</p>
            <ReferencesOnly refs={refs} field="gate" what="mean gate density" testId="cdg-lines" />
          </>
        )}
      </Panel>
    );
  }
  const labels = branchLabels(config.ssl.method);
  const layers = snap?.layers ?? [];
  const layer = layers.find((l) => l.name === chosen) ?? layers[0];
  const side = Math.max(96, Math.min(180, Math.floor((width - 24) / 2)));
  return (
    <Panel id="panel-cdg" title="CDG gate activity" howTo={HOW_TO}>
      {!snap ? (
        <div className="chart-empty">Waiting for the first snapshot…</div>
      ) : (
        <div className="panel-stack" ref={boxRef}>
          <p className="small muted" data-testid="cdg-gate-gradient">
            Gate gradient: {gateGradientText(snap.gateGradient)}.
          </p>
          <h4 className="sub">Gate density per layer, step {viewed?.step} (target {pct(snap.targetDensity)})</h4>
          <div className="chart chart-small" data-testid="cdg-bars">
            <GateBars bars={bars} target={snap.targetDensity} labels={labels} />
          </div>

          <LegendRow>
            <Swatch colour={OKABE_ITO.blue} label={labels[0]} />
            <Swatch colour={OKABE_ITO.orange} label={labels[1]} />
            <LineSwatch colour="#555" dashed label="scheduled target" />
          </LegendRow>

          <h4 className="sub">Gate density over steps (mean of both views)</h4>
          <div className="chart chart-small" data-testid="cdg-lines">
            {series.length === 0 ? <div className="chart-empty">Train a step to see gate densities.</div> : <GateLines series={series} names={names} refStep={scrubbing ? viewed?.step : undefined} refs={refs} />}
          </div>

          <LayerLegend layers={names} colour={seriesColour} extra={<><LineSwatch colour="#bbbbbb" wide label="scheduled" />{refs.map((r) => <LineSwatch key={r.id} colour={refColour(r)} dotted label={`${refLabel(r)} (mean)`} />)}</>} />

          <div className="row-between">
            <h4 className="sub">Where each view is computed</h4>
            <LayerSelect layers={names} value={layer?.name} onChange={actions.selectCdgLayer} testId="cdg-layer" context="CDG gate maps" />
          </div>
          {snap.probe && layer?.probe ? (
            <>
              <div className="probe-pair">
                {[0, 1].map((v) => (
                  <ProbeView key={v} snap={snap} layerName={layer.name} view={v} side={side} />
                ))}
              </div>
              <LegendRow>
                <Swatch colour={OKABE_ITO.yellow} label="bright, yellow-tinted: gate open (rest needed)" />
                <Swatch colour="#222" label={`darkened: gate closed (${closedSkips(snap.gateGradient)})`} />
                <span className="small muted">
                  {layer.name}: {layer.probe.h}×{layer.probe.w} gate map of the probe pair, gated jointly as in training; base path ({layer.baseChannels} of {layer.cin} input channels) always computed.
                </span>
              </LegendRow>
            </>
          ) : (
            <NotApplicable>No probe image in this snapshot.</NotApplicable>
          )}
        </div>
      )}
    </Panel>
  );
}

function ProbeView({ snap, layerName, view, side }: { snap: CDGSnapshot; layerName: string; view: number; side: number }) {
  const layer = snap.layers.find((l) => l.name === layerName)!;
  const probe = layer.probe!;
  const size = snap.probe!.size;
  const gates = probe.gates[view];
  const cells = useMemo(() => gateOverlayRgba(snap.probe!.views[view], size, gates, probe.h, probe.w), [snap, view, gates, size, probe.h, probe.w]);
  const open = useMemo(() => gates.reduce((a, b) => a + b, 0) / gates.length, [gates]);
  return (
    <figure className="probe">
      <Heatmap
        rows={size}
        cols={size}
        cells={cells}
        width={side}
        height={side}
        testId={`cdg-probe-${view + 1}`}
        label={`view ${view + 1} with the gate map of ${layerName}`}
        bands={undefined}
        describe={(r, c) => {
          const [gy, gx] = gateCellOf(r, c, size, probe.h, probe.w);
          const g = gates[gy * probe.w + gx];
          return (
            <>
              <b>view {view + 1}</b>, map cell ({gy}, {gx}) of {probe.h}×{probe.w}
              <br />
              gate {g === 1 ? 'open: rest needed' : g === 0 ? `closed: ${closedSkips(snap.gateGradient)}` : `${pct(g, 0)} of channel groups open`} (value {g.toFixed(2)})
            </>
          );
        }}
      />
      <figcaption>
        view {view + 1}: {pct(open)} open
      </figcaption>
    </figure>
  );
}

const layerLabel = (l: unknown, p: readonly { payload?: { name?: string } }[] | undefined): string => String(p?.[0]?.payload?.name ?? l);

const GateBars = memo(function GateBars({ bars, target, labels }: { bars: { layer: string; name: string; branch1: number; branch2: number }[]; target: number; labels: [string, string] }) {
  return (
    <TurnContainer>
      <BarChart data={bars} margin={CHART_MARGIN} title="Gate density per layer" desc="Share of open gates in each gated layer (x), one bar per branch, the dashed line the target">
        <CartesianGrid stroke={NEUTRALS.grid} vertical={false} />
        <XAxis dataKey="layer" tick={TICK_10} interval={0} angle={-30} textAnchor="end" height={46} />
        <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
        <Tooltip formatter={pctTooltip} labelFormatter={layerLabel} />
        <Bar name={labels[0]} dataKey="branch1" fill={OKABE_ITO.blue} isAnimationActive={false} />
        <Bar name={labels[1]} dataKey="branch2" fill={OKABE_ITO.orange} isAnimationActive={false} />
        <ReferenceLine y={target} stroke="#555" strokeDasharray="4 3" />
      </BarChart>
    </TurnContainer>
  );
});

/** Gate density per layer over steps; `refStep` marks the scrubbed step. */
const GateLines = memo(function GateLines({ series, names, refStep, refs }: { series: Record<string, number>[]; names: readonly string[]; refStep?: number; refs: readonly ReferenceRun[] }) {
  const lines = useMemo(
    () => names.map((name, i) => <Line key={name} name={shortName(name)} type="linear" dataKey={key(name, 'mean')} stroke={seriesColour(i)} strokeWidth={1.5} dot={dotIfAlone(series, key(name, 'mean'))} isAnimationActive={false} connectNulls />),
    [names, series],
  );
  return (
    <TurnContainer>
      <LineChart data={series} margin={CHART_MARGIN} title="Gate density per layer over steps" desc="Share of open gates (y) of each gated layer against the step (x)">
        <CartesianGrid stroke={NEUTRALS.grid} />
        <XAxis dataKey="step" type="number" domain={DOMAIN_DATA} allowDecimals={false} tick={TICK_11} />
        <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
        <Tooltip formatter={pctTooltip} labelFormatter={stepLabel} />
        {/* connectNulls: a pinned run's rows fall between this run's, without its keys. */}
        <Line name="scheduled" type="stepAfter" dataKey="gateTarget" stroke="#bbbbbb" strokeWidth={5} dot={false} isAnimationActive={false} connectNulls />
        {referenceLines(refs, series)}
        {lines}
        {refStep !== undefined && <ReferenceLine x={refStep} stroke="#555" strokeDasharray="3 3" ifOverflow="extendDomain" />}
      </LineChart>
    </TurnContainer>
  );
});
