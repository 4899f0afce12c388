import { useEffect, useRef, useState, type ReactNode } from 'react';
import { bandLinesDrawn, cellAt, rasterize, type RasterOptions } from './transforms/raster';

/** Heatmap display size for a rows × cols grid inside `width` pixels. */
export function gridSize(rows: number, cols: number, width: number, maxH = 340): { w: number; h: number } {
  const cellH = Math.max(1, Math.min(8, Math.floor(maxH / rows)));
  // More rows than maxH px: one pixel a row (FittedHeatmap scrolls it), so none is skipped
  // by the nearest sampling and every row can be hovered.
  const h = rows > maxH ? rows : Math.max(96, Math.min(maxH, rows * cellH));
  // Few columns (e.g. 2 groups of 4 channels) get wide cells; many get at least 6 px or share pixels.
  const maxCellW = cols <= 4 ? 64 : 28;
  const w = Math.max(120, Math.min(width, cols * Math.max(6, Math.min(maxCellW, Math.floor(width / cols)))));
  return { w, h };
}

/** Longest heatmap draw so far (ms), read by the e2e performance test. */
function recordDraw(ms: number): void {
  const w = window as Window & { __heatmapDraws?: { count: number; worstMs: number; totalMs: number } };
  const d = (w.__heatmapDraws ??= { count: 0, worstMs: 0, totalMs: 0 });
  d.count++;
  d.totalMs += ms;
  d.worstMs = Math.max(d.worstMs, ms);
}

export interface HeatmapProps {
  rows: number;
  cols: number;
  /** rows × cols RGBA cells. */
  cells: Uint8ClampedArray;
  width: number;
  height: number;
  /** Tooltip text of a cell. */
  describe: (row: number, col: number) => ReactNode;
  bands?: RasterOptions;
  testId?: string;
  label: string;
}

/**
 * A grid of coloured cells on one canvas, drawn with putImageData at display resolution
 * (cost ∝ pixels, not cells); hovering shows the exact value of the cell under the mouse.
 */
export function Heatmap({ rows, cols, cells, width, height, describe, bands, testId, label }: HeatmapProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ x: number; y: number; cx: number; cy: number; row: number; col: number }>();
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || rows === 0 || cols === 0) return;
    const t0 = performance.now();
    c.width = width;
    c.height = height;
    const img = ctx.createImageData(width, height);
    rasterize(cells, rows, cols, width, height, bands, img.data);
    ctx.putImageData(img, 0, 0);
    recordDraw(performance.now() - t0);
  }, [cells, rows, cols, width, height, bands?.rowBand, bands?.colBand]);
  const cell = hover && hover.row < rows && hover.col < cols ? hover : undefined;
  return (
    <div className="heatmap" style={{ width, height }}>
      <canvas
        ref={ref}
        data-testid={testId}
        aria-label={label}
        role="img"
        style={{ width, height }}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const x = e.clientX - r.left;
          const y = e.clientY - r.top;
          const [row, col] = cellAt(x, y, rows, cols, r.width, r.height);
          setHover({ x, y, cx: e.clientX, cy: e.clientY, row, col });
        }}
        onMouseLeave={() => setHover(undefined)}
      />
      {cell && (
        // Fixed to the viewport: inside a scrolling heatmap (FittedHeatmap) an absolute box is clipped.
        <div className="heatmap-tooltip" data-testid="heatmap-tooltip" style={{ position: 'fixed', left: Math.max(4, Math.min(cell.cx + 12, window.innerWidth - 280)), top: cell.cy + 12 }}>
          {describe(cell.row, cell.col)}
        </div>
      )}
    </div>
  );
}

/** A Heatmap of a rows × cols grid sized to fit `width` (gridSize), with a band every `rowBand` rows. */
export function FittedHeatmap({ grid, width, rowBand, ...rest }: { grid: { rows: number; cols: number; cells: Uint8ClampedArray }; width: number; rowBand?: number } & Pick<HeatmapProps, 'describe' | 'testId' | 'label'>) {
  const { w, h } = gridSize(grid.rows, grid.cols, width);
  const map = <Heatmap {...grid} width={w} height={h} bands={{ rowBand }} {...rest} />;
  return h > SCROLL_ABOVE ? <div className="heatmap-scroll" role="region" data-scrolls="" style={{ maxHeight: SCROLL_ABOVE, width: w + 16 }} tabIndex={0} aria-label={`${rest.label}: ${grid.rows} rows, scroll to see them all`}>{map}</div> : map;
}

/** Taller heatmaps (one pixel a row) scroll inside this height. */
const SCROLL_ABOVE = 340;

/** Whether FittedHeatmap draws its separators every `band` rows at this width (for captions that mention them). */
export function fittedBandLines(rows: number, cols: number, width: number, band: number | undefined): boolean {
  return bandLinesDrawn(band, rows, gridSize(rows, cols, width).h);
}
