// Cells → display pixels: nearest sampling of a rows × cols grid of RGBA cells into a
// width × height image, with optional white separator lines (2 px) every `band` rows (e.g.
// between kernel positions). O(width·height), independent of the number of cells, so a
// layer of 10^5 cells draws as fast as one of 100.

export interface RasterOptions {
  /** Draw a separator line every `rowBand` rows (when bands are at least 6 px tall). */
  rowBand?: number;
  colBand?: number;
}

/**
 * Whether separators are drawn every `band` of `rows` rows over `height` px: bands at least
 * 6 px tall, and rows at least 3 px, since a 2-px line paints over a pixel of the rows on
 * both sides of it (at 1 px a row, it painted over whole rows of data).
 */
export function bandLinesDrawn(band: number | undefined, rows: number, height: number): band is number {
  return !!band && band < rows && (band * height) / rows >= 6 && height / rows >= 3;
}

export function rasterize(cells: Uint8ClampedArray, rows: number, cols: number, width: number, height: number, opts: RasterOptions = {}, out = new Uint8ClampedArray(width * height * 4)): Uint8ClampedArray {
  const colOf = new Int32Array(width);
  for (let x = 0; x < width; x++) colOf[x] = Math.min(cols - 1, Math.floor((x * cols) / width));
  const out32 = new Uint32Array(out.buffer, out.byteOffset, width * height);
  const cells32 = new Uint32Array(cells.buffer, cells.byteOffset, rows * cols);
  for (let y = 0; y < height; y++) {
    const rowBase = Math.min(rows - 1, Math.floor((y * rows) / height)) * cols;
    const o = y * width;
    for (let x = 0; x < width; x++) out32[o + x] = cells32[rowBase + colOf[x]];
  }
  const white = 0xffffffff;
  const { rowBand, colBand } = opts;
  if (bandLinesDrawn(rowBand, rows, height)) {
    for (let b = rowBand; b < rows; b += rowBand) {
      const y = Math.round((b * height) / rows);
      // 2 px, centred on the boundary.
      for (const yy of [y - 1, y]) if (yy > 0 && yy < height) out32.fill(white, yy * width, (yy + 1) * width);
    }
  }
  if (bandLinesDrawn(colBand, cols, width)) {
    for (let b = colBand; b < cols; b += colBand) {
      const x = Math.round((b * width) / cols);
      for (const xx of [x - 1, x]) if (xx > 0 && xx < width) for (let y = 0; y < height; y++) out32[y * width + xx] = white;
    }
  }
  return out;
}

/** Grid cell under display pixel (x, y). */
export function cellAt(x: number, y: number, rows: number, cols: number, width: number, height: number): [number, number] {
  return [Math.min(rows - 1, Math.max(0, Math.floor((y * rows) / height))), Math.min(cols - 1, Math.max(0, Math.floor((x * cols) / width)))];
}
