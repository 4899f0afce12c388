// N:M pattern grid → RGBA cells (pure): one colour per pattern, dense groups near-black,
// anything else vermillion, tail groups light grey.
import { NM_DENSE, NM_OTHER, NM_TAIL, type NMPatternGrid } from '../../engine/viz/nmPatterns';
import { hexToRgb, NM_SPECIAL_COLOURS, patternColour } from './palette';

export function nmRgba(grid: Pick<NMPatternGrid, 'ids' | 'patterns' | 'rowsShown' | 'cols'>): Uint8ClampedArray {
  const P = grid.patterns.length;
  const colours = Array.from({ length: P }, (_, i) => hexToRgb(patternColour(i, P)));
  const dense = hexToRgb(NM_SPECIAL_COLOURS.dense);
  const other = hexToRgb(NM_SPECIAL_COLOURS.other);
  const tail = hexToRgb(NM_SPECIAL_COLOURS.tail);
  const unlisted = hexToRgb(NM_SPECIAL_COLOURS.unlisted);
  const out = new Uint8ClampedArray(grid.rowsShown * grid.cols * 4);
  for (let i = 0; i < grid.ids.length; i++) {
    const id = grid.ids[i];
    const c = id >= 0 ? colours[id] : id === NM_DENSE ? dense : id === NM_OTHER ? other : id === NM_TAIL ? tail : unlisted;
    out[i * 4] = c[0];
    out[i * 4 + 1] = c[1];
    out[i * 4 + 2] = c[2];
    out[i * 4 + 3] = 255;
  }
  return out;
}
