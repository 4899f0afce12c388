import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { memo, useMemo, useState, type KeyboardEvent } from 'react';
import { radioKeyMove } from '../keys';
import { NM_DENSE, NM_OTHER, NM_TAIL, patternCounts, patternLabel, type NMPatternGrid } from '../../engine/viz/nmPatterns';
import { actions } from '../../store/controller';
import { useRun } from '../../store/run';
import { selectUpdates, useTimeline } from '../../store/timeline';
import { FittedHeatmap, fittedBandLines } from '../Heatmap';
import { nmRgba } from '../transforms/nmCells';
import { NEUTRALS, NM_SPECIAL_COLOURS, patternColour } from '../transforms/palette';
import { asCompletedSteps, schedulePoints } from '../transforms/schedulePoints';
import { updateSeries } from '../transforms/series';
import { CHART_MARGIN, LayerSelect, LegendRow, NotApplicable, STAGGER, Swatch, TICK_11, TICK_12, pct, useStableList, useThrottledSelector, useWidth, useTimelineView } from './common';
import { BranchLinesChart, BranchLinesLegend } from './BranchLinesChart';
import { Panel } from './Panel';
import { PRESET_LABELS } from '../presetLabels';

/** N:M patterns of the selected layer, their frequencies, and the N:M fraction per layer over steps. */
type Branch = 'online' | 'target';
const BRANCHES: readonly Branch[] = ['online', 'target'];

export function NmPanel() {
  const config = useRun((s) => s.config);
  // Staggered: a new snapshot redraws the panels one after the other, each in its own task.
  const { viewed, scrubbing } = useTimelineView(STAGGER.nm);
  const updates = useThrottledSelector(useTimeline, selectUpdates, 1000, STAGGER.nm);
  const [branch, setBranch] = useState<Branch>('online');
  const onBranchKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = radioKeyMove(e.key, BRANCHES, branch);
    if (next === undefined) return;
    e.preventDefault();
    setBranch(next);
    (e.currentTarget.children[BRANCHES.indexOf(next)] as HTMLElement | undefined)?.focus();
  };
  const [boxRef, width] = useWidth<HTMLDivElement>(400);
  const sp = config?.syncp;
  const nm = sp?.granularity === 'nm';
  const snap = viewed?.plugins.syncp;
  const grid = viewed?.nm?.[branch];
  const series = useMemo(() => {
    if (!config || !nm) return [];
    // The plan's update at index k is measured in row k + 1 (the step that first trains with it), as updates are numbered; none past the last step.
    const planned = asCompletedSteps(schedulePoints(config)?.points ?? [], config.steps);
    const rows = new Map<number, Record<string, number>>(planned.map((p) => [p.step, { step: p.step, plannedOnline: p.online, plannedTarget: p.target ?? 0 }]));
    for (const u of updateSeries(updates)) rows.set(u.step, { ...(rows.get(u.step) ?? {}), ...u });
    return [...rows.values()].sort((a, b) => a.step - b.step);
  }, [config, nm, updates]);
  const names = useStableList((snap?.layers ?? []).map((l) => l.name));
  if (!sp || !nm) {
    return (
      <Panel id="panel-nm" title="N:M patterns" howTo="N:M sparsity keeps N weights in every group of M neighbouring input channels.">
        <NotApplicable>
          No N:M sparsity in this run{sp ? ` (SyncCP prunes ${sp.granularity === 'channel' ? 'whole channels' : 'single weights'})` : ''}. Pick the preset “{PRESET_LABELS['syncp-2of4']}” to see N:M patterns.
        </NotApplicable>
      </Panel>
    );
  }
  const { n, m } = sp;
  const howTo = `In every group of ${m} neighbouring input channels, ${n} weights are kept (${n}:${m}) — the pattern GPUs can skip fast. Each cell is one group, coloured by which ${n} of the ${m} are kept; black groups are still dense. Bars count the patterns; lines show the share of groups already ${n}:${m}.`;
  return (
    <Panel id="panel-nm" title={`${n}:${m} patterns`} howTo={howTo}>
      {!snap || !grid ? (
        <div className="chart-empty">Waiting for the first snapshot…</div>
      ) : (
        <div className="panel-stack" ref={boxRef}>
          <div className="row-between">
            <LayerSelect layers={names} value={viewed?.nm?.layer} onChange={actions.selectLayer} testId="nm-layer" context="N:M patterns" />
            <div className="segmented" role="radiogroup" aria-label="branch" data-testid="nm-branch" onKeyDown={onBranchKey}>
              {BRANCHES.map((b) => (
                // Roving focus, as a radio group has it: Tab reaches the chosen one, arrows move the choice.
                <button key={b} role="radio" aria-checked={branch === b} tabIndex={branch === b ? 0 : -1} className={branch === b ? 'on' : ''} onClick={() => setBranch(b)}>
                  {b}
                </button>
              ))}
            </div>
          </div>
          <NmGrid grid={grid} width={width} />
          <p className="small muted">
            Rows: kernel position × output channel ({grid.kh}×{grid.kw} × {grid.cOut}
            {fittedBandLines(grid.rowsShown, grid.cols, width, grid.cOut) ? ', white lines between positions' : ''}); columns: groups of {m} input channels
            {grid.tail ? `, last column the ${grid.tail}-channel tail (kept dense)` : ''}.{grid.rowsShown < grid.rows ? ` First ${grid.rowsShown} of ${grid.rows} rows shown.` : ''}
          </p>
          <NmHistogram grid={grid} />
          <h4 className="sub">Share of groups that are {n}:{m}, per layer</h4>
          <div className="chart chart-small" data-testid="nm-lines">
            <BranchLinesChart series={series} names={names} steps={config!.steps} refStep={viewed?.step} scrubbing={scrubbing} dots />
          </div>
          <BranchLinesLegend names={names} />
          <p className="small muted legend-note">Measured at each mask update.</p>
        </div>
      )}
    </Panel>
  );
}

function describeCode(id: number, grid: NMPatternGrid): string {
  if (id >= 0) return `pattern ${patternLabel(grid.patterns[id], grid.m)} (#${id + 1} of ${grid.patterns.length})`;
  if (id === NM_DENSE) return `dense: all ${grid.m} kept (not ${grid.n}:${grid.m} yet)`;
  if (id === NM_TAIL) return `tail: ${grid.tail} leftover channels, kept dense`;
  if (id === NM_OTHER) return `neither ${grid.n}:${grid.m} nor dense`;
  return `${grid.n}:${grid.m} (too many patterns to list)`;
}

function NmGrid({ grid, width }: { grid: NMPatternGrid; width: number }) {
  const cells = useMemo(() => nmRgba(grid), [grid]);
  const describe = (r: number, c: number) => {
    const id = grid.ids[r * grid.cols + c];
    const ab = Math.floor(r / grid.cOut);
    const c0 = c * grid.m;
    const c1 = c < grid.groups ? c0 + grid.m - 1 : c0 + grid.tail - 1;
    return (
      <>
        kernel ({Math.floor(ab / grid.kw)},{ab % grid.kw}), out ch {r % grid.cOut}, in ch {c0}–{c1}
        <br />
        <b>{describeCode(id, grid)}</b>
      </>
    );
  };
  const label = 'N:M pattern of every group in the selected layer';
  return <FittedHeatmap grid={{ rows: grid.rowsShown, cols: grid.cols, cells }} width={width} rowBand={grid.cOut} testId="nm-heatmap" label={label} describe={describe} />;
}

const histogramTooltip = (v: unknown, _n: unknown, p: { payload?: unknown }): [string, string] => [`${String(v)} groups (${pct((p.payload as { share: number }).share, 1)})`, 'count'];

const NmHistogram = memo(function NmHistogram({ grid }: { grid: NMPatternGrid }) {
  const data = useMemo(() => {
    const c = patternCounts(grid);
    const P = grid.patterns.length;
    const bars = grid.patterns.map((bits, i) => ({ label: patternLabel(bits, grid.m), count: c.perPattern[i], share: c.total ? c.perPattern[i] / c.total : 0, colour: patternColour(i, P) }));
    bars.push({ label: 'dense', count: c.dense, share: c.total ? c.dense / c.total : 0, colour: NM_SPECIAL_COLOURS.dense });
    if (c.other) bars.push({ label: 'other', count: c.other, share: c.other / c.total, colour: NM_SPECIAL_COLOURS.other });
    if (c.unlisted) bars.push({ label: `${grid.n}:${grid.m}`, count: c.unlisted, share: c.unlisted / c.total, colour: NM_SPECIAL_COLOURS.unlisted });
    return bars;
  }, [grid]);
  return (
    <>
      <h4 className="sub">How often each pattern occurs (● kept, ○ pruned)</h4>
      <div className="chart chart-small" data-testid="nm-histogram">
        <TurnContainer>
          <BarChart data={data} margin={CHART_MARGIN} title="How often each N:M pattern occurs" desc="One bar per kept/pruned pattern of a group (x), its count of groups (y)">
            <CartesianGrid stroke={NEUTRALS.grid} vertical={false} />
            <XAxis dataKey="label" tick={TICK_12} interval={0} />
            <YAxis tick={TICK_11} width={44} allowDecimals={false} />
            <Tooltip formatter={histogramTooltip} />
            <Bar dataKey="count" isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.label} fill={d.colour} />
              ))}
            </Bar>
          </BarChart>
        </TurnContainer>
      </div>
      <LegendRow>
        {grid.patterns.length <= 6 && grid.patterns.map((b, i) => <Swatch key={b} colour={patternColour(i, grid.patterns.length)} label={patternLabel(b, grid.m)} />)}
        <Swatch colour={NM_SPECIAL_COLOURS.dense} label="dense group" />
        {grid.tail > 0 && <Swatch colour={NM_SPECIAL_COLOURS.tail} label="tail (dense)" />}
      </LegendRow>
    </>
  );
});


