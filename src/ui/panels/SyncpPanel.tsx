import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { memo, useEffect, useMemo } from 'react';
import type { MaskHeatmap } from '../../engine/viz/maskPanel';
import type { SyncCPConfig } from '../../engine/config';
import { actions } from '../../store/controller';
import { selectRows, useMetrics } from '../../store/metrics';
import { useRun } from '../../store/run';
import { pickUpdate, selectHistoryLayer, selectMaskHistory, selectUpdates, useTimeline } from '../../store/timeline';
import { FittedHeatmap, fittedBandLines } from '../Heatmap';
import { maskCellInfo, maskRgba } from '../transforms/maskCells';
import { MASK_COLOURS, NEUTRALS, OKABE_ITO } from '../transforms/palette';
import { withPlanned } from '../transforms/schedulePoints';
import { pickedUpdateIndex } from '../transforms/pickedUpdate';
import { mergeReferences, ReferencesOnly, useRefsWith } from './references';
import { layerSeries, updateSeries } from '../transforms/series';
import { CHART_MARGIN, DOMAIN_01, DOMAIN_DATA, LayerSelect, LegendRow, LineSwatch, NotApplicable, STAGGER, Swatch, TICK_11, pct, pctExact, pctTick, pctTooltip, updateLabel, useStableList, useThrottledSelector, useWidth, useTimelineView } from './common';
import { BranchLinesChart, BranchLinesLegend } from './BranchLinesChart';
import { Panel } from './Panel';

const HOW_TO =
  'SyncCP removes weights from both branches at the same moments. The online branch keeps fewer weights; the target branch keeps those plus some more. Lines: share of weights kept in each layer (solid online, dashed target) over the grey plan. Picture: every weight of one layer — blue kept by both, orange kept only by the target, grey pruned.';


/** SyncCP mask evolution: densities over steps, mask heatmap with an update slider, churn and nestedness. */
export function SyncpPanel() {
  const config = useRun((s) => s.config);
  // Staggered: a new snapshot redraws the panels one after the other, each in its own task.
  const { viewed, scrubbing } = useTimelineView(STAGGER.syncp);
  const rows = useThrottledSelector(useMetrics, selectRows, 1000, STAGGER.syncp);
  const updates = useThrottledSelector(useTimeline, selectUpdates, 1000, STAGGER.syncp);
  const history = useThrottledSelector(useTimeline, selectMaskHistory, 0, STAGGER.syncp);
  const [boxRef, width] = useWidth<HTMLDivElement>(400);
  const snap = viewed?.plugins.syncp;
  // Layer shapes from the snapshot: the planned N:M density counts their dense tail channels.
  const shapes = useStableList((snap?.layers ?? []).map((l) => l.shape.join('x')));
  const refs = useRefsWith('density');
  const series = useMemo(
    () => (config?.syncp ? mergeReferences(withPlanned(config, layerSeries(rows, 'density'), true, shapes.map((s) => s.split('x').map(Number))), refs, 'density') : []),
    [rows, config, shapes, refs],
  );
  const upd = useMemo(() => updateSeries(updates), [updates]);
  // Updates of the selected layer recorded up to the viewed step (a slider over them).
  const historyLayer = useThrottledSelector(useTimeline, selectHistoryLayer, 0, STAGGER.syncp);
  const list = useMemo(
    () => (snap && historyLayer === snap.selected.name && snap.lastUpdateStep !== null ? history.filter((h) => h.step <= snap.lastUpdateStep!) : []),
    [history, historyLayer, snap],
  );
  const names = useStableList((snap?.layers ?? []).map((l) => l.name));
  // The picked update's step (null: follow the newest); another layer, or a new run, starts from the newest.
  const pickedStep = useTimeline((t) => t.pickedUpdate);
  useEffect(() => pickUpdate(null), [snap?.selected.name]);
  if (!config?.syncp) {
    return (
      <Panel id="panel-syncp" title="SyncCP mask evolution" howTo="Synchronized contrastive pruning removes weights in both branches.">
        <NotApplicable>SyncCP is off in this run: no weight masks. Pick a “SyncCP: …” preset to watch pruning.</NotApplicable>
        {refs.length > 0 && (
          <>
            <p className="small muted">Dotted: the pinned or imported SyncCP runs’ weights kept (mean online density), to compare this run with.</p>
            <ReferencesOnly refs={refs} field="density" what="mean online density" testId="syncp-lines" />
          </>
        )}
      </Panel>
    );
  }
  const layers = snap?.layers ?? [];
  const index = pickedUpdateIndex(list, pickedStep);
  const entry = pickedStep !== null && index >= 0 && list[index].step === pickedStep ? list[index] : undefined;
  const masks: MaskHeatmap | undefined = entry ? entry.masks : snap?.selected.masks;
  const shownStep = entry ? entry.step : snap?.lastUpdateStep;
  const sel = layers.find((l) => l.name === snap?.selected.name);
  return (
    <Panel id="panel-syncp" title="SyncCP mask evolution" howTo={HOW_TO}>
      {!snap ? (
        <div className="chart-empty">Waiting for the first snapshot…</div>
      ) : (
        <div className="panel-stack" ref={boxRef}>
          <h4 className="sub">Weights kept per layer over steps</h4>
          <div className="chart" data-testid="syncp-lines">
            <BranchLinesChart series={series} names={names} steps={config.steps} refStep={viewed?.step} scrubbing={scrubbing} refs={refs} />
          </div>
          <BranchLinesLegend names={names} refs={refs} />

          <div className="row-between">
            <h4 className="sub">Mask of one layer</h4>
            <LayerSelect layers={names} value={snap.selected.name} onChange={actions.selectLayer} testId="syncp-layer" context="SyncCP mask" />
          </div>
          {masks && sel && (
            <MaskView masks={masks} shape={sel.shape} width={width} />
          )}
          <LegendRow>
            <Swatch colour={MASK_COLOURS.both} label="kept in both" />
            <Swatch colour={MASK_COLOURS.targetOnly} label="kept in target only" />
            <Swatch colour={MASK_COLOURS.pruned} label="pruned" outline />
            {snap.scores === 'per-branch' && <Swatch colour={MASK_COLOURS.onlineOnly} label="online only (not nested)" />}
          </LegendRow>
          <p className="small muted">
            Rows: kernel position × output channel ({sel ? `${sel.shape[0]}×${sel.shape[1]} positions × ${sel.shape[3]} outputs` : ''}
            {sel && masks && fittedBandLines(masks.rows, masks.cols, width, maskRowBand(sel.shape[3], masks.rowStep)) ? ', white lines between positions' : ''}); columns: input channels.
            {masks && (masks.rowStep > 1 || masks.colStep > 1) ? ` Each cell averages ${masks.rowStep}×${masks.colStep} weights.` : ' One cell per weight.'}
          </p>
          <label className="slider-row">
            <span>Update</span>
            <input
              type="range"
              data-testid="syncp-update-slider"
              min={0}
              max={Math.max(0, list.length - 1)}
              value={Math.max(0, index)}
              disabled={list.length < 2}
              // A screen reader says the step, not the slider's index.
              aria-valuetext={list.length ? `update at step ${list[Math.max(0, index)].step}, ${Math.max(0, index) + 1} of ${list.length}` : 'no update yet'}
              onChange={(e) => {
                const i = Number(e.target.value);
                // The newest update: follow the newest from now on.
                pickUpdate(i >= list.length - 1 ? null : list[i].step);
              }}
            />
            <span className="small" data-testid="syncp-mask-step">
              {shownStep === null || shownStep === undefined
                ? beforeFirstUpdate(config.syncp)
                : `masks from the update at step ${shownStep}${list.length ? ` · update ${index + 1} of the last ${list.length}` : ''}`}
            </span>
          </label>

          <h4 className="sub">Churn: weights flipped at each update (all layers)</h4>
          <div className="chart chart-small" data-testid="syncp-churn">
            {upd.length === 0 ? <div className="chart-empty">First mask update at step {snap.schedule.window.start + 1}.</div> : <ChurnChart upd={upd} />}
          </div>

          <LegendRow>
            <Swatch colour={OKABE_ITO.blue} label="online flips" />
            <Swatch colour={OKABE_ITO.orange} label="target flips" />
          </LegendRow>

          <h4 className="sub">Do the branches agree? (mean over layers)</h4>
          <div className="chart chart-small" data-testid="syncp-nested">
            {upd.length === 0 ? <div className="chart-empty">Measured at each mask update.</div> : <NestedChart upd={upd} refStep={scrubbing ? viewed?.step : undefined} />}
          </div>

          <LegendRow>
            <LineSwatch colour={OKABE_ITO.green} label="nested: share of online-kept weights the target also keeps" />
            <LineSwatch colour={OKABE_ITO.purple} label="IoU of the two masks" />
          </LegendRow>

          <table className="layer-table" data-testid="syncp-table">
            <thead>
              <tr>
                <th>layer</th>
                <th>online kept</th>
                <th>target kept</th>
                <th>nested</th>
                <th>IoU</th>
              </tr>
            </thead>
            <tbody>
              {layers.map((l) => (
                <tr key={l.name} className={l.name === snap.selected.name ? 'selected' : undefined}>
                  <td title={l.shape.join('×')}>{l.name}</td>
                  <td>{pct(l.actual.online, 1)}</td>
                  <td>{pct(l.actual.target, 1)}</td>
                  <td>{pctExact(l.nested)}</td>
                  <td>{pctExact(l.iou)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

/** Heatmap rows a kernel position takes (undefined when averaged blocks straddle positions). */
const maskRowBand = (cOut: number, rowStep: number): number | undefined => (cOut % rowStep === 0 ? cOut / rowStep : undefined);

function MaskView({ masks, shape, width }: { masks: MaskHeatmap; shape: [number, number, number, number]; width: number }) {
  const cells = useMemo(() => maskRgba(masks), [masks]);
  const cOut = shape[3];
  const band = maskRowBand(cOut, masks.rowStep);
  const describe = (r: number, c: number) => {
    const info = maskCellInfo(masks, shape, r, c);
    if (!info) return null;
    const f = info.fractions;
    if (info.weight) {
      const wt = info.weight;
      const what = f.both === 1 ? 'kept in both branches' : f.targetOnly === 1 ? 'kept in target only' : f.onlineOnly === 1 ? 'kept in online only' : 'pruned in both';
      return (
        <>
          kernel ({wt.a},{wt.b}), out ch {wt.o}, in ch {wt.c}
          <br />
          <b>{what}</b>
        </>
      );
    }
    return (
      <>
        rows {info.rows[0]}–{info.rows[1]}, in ch {info.inputs[0]}–{info.inputs[1]}
        <br />
        both {pct(f.both, 1)} · target only {pct(f.targetOnly, 1)}
        {f.onlineOnly > 0 ? ` · online only ${pct(f.onlineOnly, 1)}` : ''} · pruned {pct(f.pruned, 1)}
      </>
    );
  };
  return <FittedHeatmap grid={{ rows: masks.rows, cols: masks.cols, cells }} width={width} rowBand={band} testId="syncp-heatmap" label="mask heatmap of the selected layer" describe={describe} />;
}

const flipsTooltip = (v: unknown): string => `${String(v)} weights`;


const ChurnChart = memo(function ChurnChart({ upd }: { upd: Record<string, number>[] }) {
  return (
    <TurnContainer>
      <BarChart data={upd} margin={CHART_MARGIN} title="Mask flips at each update" desc="Weights whose mask changed at each mask update (x): online and target branch bars">
        <CartesianGrid stroke={NEUTRALS.grid} vertical={false} />
        <XAxis dataKey="step" tick={TICK_11} />
        <YAxis tick={TICK_11} width={44} allowDecimals={false} />
        <Tooltip formatter={flipsTooltip} labelFormatter={updateLabel} />
        <Bar name="online flips" dataKey="flipsOnline" fill={OKABE_ITO.blue} isAnimationActive={false} />
        <Bar name="target flips" dataKey="flipsTarget" fill={OKABE_ITO.orange} isAnimationActive={false} />
      </BarChart>
    </TurnContainer>
  );
});

/** `refStep`: the step the timeline views while scrubbing, marked as in the other line charts (the axis stretches to it when it lies past the last update). */
const NestedChart = memo(function NestedChart({ upd, refStep }: { upd: Record<string, number>[]; refStep?: number }) {
  return (
    <TurnContainer>
      <LineChart data={upd} margin={CHART_MARGIN} title="How the two masks agree, at each update" desc="At each mask update (x): the share of the online branch’s kept weights the target also keeps (nested), and the masks’ intersection over union (IoU)">
        <CartesianGrid stroke={NEUTRALS.grid} />
        <XAxis dataKey="step" type="number" domain={DOMAIN_DATA} tick={TICK_11} />
        <YAxis domain={DOMAIN_01} tick={TICK_11} width={40} tickFormatter={pctTick} />
        <Tooltip formatter={pctTooltip} labelFormatter={updateLabel} />
        <Line name="nested: online kept ⊆ target kept" dataKey="nested" stroke={OKABE_ITO.green} strokeWidth={2} dot isAnimationActive={false} />
        <Line name="IoU of the two masks" dataKey="iou" stroke={OKABE_ITO.purple} strokeWidth={2} dot isAnimationActive={false} />
        {refStep !== undefined && <ReferenceLine x={refStep} stroke="#555" strokeDasharray="3 3" ifOverflow="extendDomain" />}
      </LineChart>
    </TurnContainer>
  );
});

/** The masks before the first update: all ones, or the random start an initial density below 1 makes (syncp/maskers/randomStart.ts). */
function beforeFirstUpdate(s: SyncCPConfig): string {
  if (s.initialDensity >= 1) return 'no update yet (all weights kept)';
  if (s.granularity === 'nm') return `no update yet: random initial masks (ERK: ${pct(1 - s.initialDensity)} of the groups ${s.n}:${s.m} online over the network, the rest dense)`;
  return `no update yet: random initial masks (ERK, online density ${pct(s.initialDensity)})`;
}
