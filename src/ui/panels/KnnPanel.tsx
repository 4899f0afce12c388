import { CartesianGrid, Line, LineChart, ReferenceArea, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { TurnContainer } from '../TurnContainer';
import { useMemo } from 'react';
import { selectRows, useMetrics } from '../../store/metrics';
import { mergeReferences, referenceLines, refColour, refLabel, useRefsWith } from './references';
import { useRun } from '../../store/run';
import { TICK_11, stepLabel, useThrottledSelector, useTimelineView, STAGGER } from './common';
import { Panel } from './Panel';
import { NEUTRALS, OKABE_ITO } from '../transforms/palette';
import { accuracyStandardError } from '../../engine/eval/standardError';

/** kNN monitor accuracy over steps, against chance, the untrained network and raw pixels. */
export function KnnPanel() {
  const { viewed, scrubbing } = useTimelineView(STAGGER.knn);
  const scrubStep = scrubbing ? viewed?.step : undefined;
  // At most once a second (like the sparsity panels), not on every progress message.
  const rows = useThrottledSelector(useMetrics, selectRows, 1000, STAGGER.knn);
  const refs = useRefsWith('knn');
  const classes = useRun((s) => s.dataset?.classNames.length);
  // The kNN monitor classifies up to 2000 held-out images (trainer.ts); its noise follows from n.
  const n = useRun((s) => (s.dataset ? Math.min(s.dataset.testCount, 2000) : undefined));
  const every = useRun((s) => s.config?.eval.knnEvery);
  const baselines = useRun((s) => s.baselines);
  const data = useMemo(() => {
    const pts = new Map<number, { step: number; knn?: number }>();
    // The curve starts at the untrained network: step 0 is a measurement like the others.
    if (baselines) pts.set(0, { step: 0, knn: baselines.untrained * 100 });
    for (const r of rows) if (r.knn !== undefined) pts.set(r.step, { step: r.step, knn: r.knn * 100 });
    return mergeReferences([...pts.values()].sort((a, b) => a.step - b.step), refs, 'knn', 100);
  }, [rows, refs, baselines]);
  const chance = classes ? 100 / classes : undefined;
  // The untrained network's noise band: ±2 standard errors of a difference of two
  // measurements; a point outside it is learning (or forgetting), not noise.
  const band = baselines && n ? 2 * Math.SQRT2 * 100 * accuracyStandardError(0.5, n) : undefined;
  const yDomain = useMemo<[number, number]>(() => {
    const ys = data.flatMap((d) => Object.entries(d).flatMap(([k, v]) => (k !== 'step' && typeof v === 'number' ? [v] : [])));
    if (baselines) ys.push(baselines.untrained * 100 + (band ?? 0), baselines.rawPixels * 100);
    if (chance !== undefined) ys.push(chance);
    return [0, knnAxisTop(ys)];
  }, [data, baselines, band, chance]);
  return (
    <Panel
      id="panel-knn"
      title="kNN accuracy"
      howTo={`Labels are never used in training: this classifies held-out images by their nearest training features. Read it against the lines: chance, the same network untrained (random features already group some classes) and raw pixels. Learning is the gain over "untrained": a point above its shaded noise band is more than chance variation. Measured ${every === undefined ? 'every … steps' : every > 0 ? `every ${every} steps` : 'at the end of the run'}.`}
    >
      <div className="chart">
        {data.length === 0 ? (
          <div className="chart-empty">{baselines === undefined ? 'Measuring the untrained network…' : `First measurement at step ${every || 'end'}.`}</div>
        ) : (
          <TurnContainer>
            <LineChart data={data} margin={MARGIN} title="kNN accuracy over steps" desc="kNN accuracy (y, %) against the step (x), beside the untrained network’s, raw pixels’ and chance; the counters below give the latest value and the gain">
              <CartesianGrid stroke={NEUTRALS.grid} />
              <XAxis dataKey="step" type="number" domain={KNN_X} allowDecimals={false} tick={TICK_11} />
              <YAxis domain={yDomain} tick={TICK_11} width={36} unit="%" allowDataOverflow />
              <Tooltip formatter={knnTooltip} labelFormatter={stepLabel} />
              {scrubStep !== undefined && <ReferenceLine x={scrubStep} stroke="#555" strokeDasharray="3 3" ifOverflow="extendDomain" />}
              {chance !== undefined && <ReferenceLine y={chance} stroke="#9aa3ad" strokeDasharray="4 3" />}
              {baselines && band !== undefined && (
                <ReferenceArea y1={Math.max(0, baselines.untrained * 100 - band)} y2={Math.min(100, baselines.untrained * 100 + band)} fill={OKABE_ITO.orange} fillOpacity={0.12} stroke="none" ifOverflow="hidden" />
              )}
              {baselines && (
                <ReferenceLine y={baselines.untrained * 100} stroke={OKABE_ITO.orange} strokeDasharray="6 3" />
              )}
              {baselines && (
                <ReferenceLine y={baselines.rawPixels * 100} stroke={OKABE_ITO.skyBlue} strokeDasharray="2 3" />
              )}
              <Line name="this run" type="linear" dataKey="knn" stroke={OKABE_ITO.blue} strokeWidth={2} dot isAnimationActive={false} connectNulls />
              {referenceLines(refs, data)}
            </LineChart>
          </TurnContainer>
        )}
      </div>
      <div className="chart-legend" data-testid="knn-baselines">
        <span><i className="swatch-line" style={{ borderColor: OKABE_ITO.blue, borderTopStyle: 'solid' }} />this run</span>
        {chance !== undefined && <span><i className="swatch-line" style={{ borderColor: '#9aa3ad' }} />chance {chance.toFixed(0)}%</span>}
        {baselines && (
          <span title="the shaded band is ±2 standard errors of a difference of two measurements: above it, training added what noise cannot explain">
            <i className="swatch-line" style={{ borderColor: OKABE_ITO.orange }} />untrained {(baselines.untrained * 100).toFixed(1)}%{band !== undefined ? ` (band ±${band.toFixed(1)})` : ''}
          </span>
        )}
        {baselines && <span><i className="swatch-line" style={{ borderColor: OKABE_ITO.skyBlue, borderTopStyle: 'dotted' }} />raw pixels {(baselines.rawPixels * 100).toFixed(1)}%</span>}
        {refs.map((r) => (
          <span key={r.id}><i className="swatch-line" style={{ borderColor: refColour(r), borderTopStyle: 'dotted', borderTopWidth: 3 }} />{refLabel(r)}</span>
        ))}
        {n !== undefined && (
          <span data-testid="knn-noise" title="standard error √(p(1−p)/n) of one measurement, at its worst (p = ½)">
            n = {n} held-out images: ±{(100 * accuracyStandardError(0.5, n)).toFixed(1)} pts (SE)
          </span>
        )}
      </div>
    </Panel>
  );
}

const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 } as const;
const KNN_X: [number, string] = [0, 'dataMax'];
const knnTooltip = (v: unknown): string => (typeof v === 'number' ? `${v.toFixed(1)}%` : String(v));

/** The y axis' top: 10 points above the highest value, to the next multiple of 10, at most 100 (learning fills the chart). */
export function knnAxisTop(values: readonly number[]): number {
  const max = values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, v) : m), 0);
  return Math.min(100, Math.max(20, Math.ceil((max + 10) / 10) * 10));
}
