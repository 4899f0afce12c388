// Colour-blind-safe colours (Okabe & Ito 2008) and a viridis ramp, as [r, g, b] bytes
// for canvas work and as CSS strings for recharts. No DOM.

export type RGB = readonly [number, number, number];

export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  black: '#000000',
} as const;

/**
 * The neutral greys the charts may use besides OKABE_ITO (grids, plans, baselines, "dense"):
 * greys carry no hue to confuse, so colour-blind readers see them as the others do.
 * tests/unit/ui/palette.test.ts checks every colour literal in src/ui is one of the two.
 */
export const NEUTRALS = {
  grid: '#E6E9EE', // chart grid lines
  planOnline: '#C9CED6', // SyncCP planned online density (wide band under the curves)
  planTarget: '#E2E5EA', // SyncCP planned target density
  scheduled: '#BBBBBB', // CDG scheduled gate density; N:M tail group
  chance: '#9AA3AD', // kNN chance line
  dense: '#B9BFC8', // FLOPs dense bars
  marker: '#555555', // current / scrubbed step marker, "online"/"target" legend swatches
  outline: '#999999', // swatch outline of a light colour
  closed: '#222222', // CDG closed gate swatch; N:M still-dense groups
  pruned: '#D4D4D4', // SyncCP pruned weights
  unlisted: '#777777', // N:M patterns beyond the listed ones
  reference: '#7A8594', // the first pinned run's dashed line
} as const;

/** The first reference run's colour (a grey: it never collides with a live line). */
export const REF_GREY = NEUTRALS.reference;

/** Categorical series colours, in an order where neighbours differ strongly. */
export const SERIES = [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.skyBlue, OKABE_ITO.vermillion, OKABE_ITO.yellow, '#555555'];

export function seriesColour(i: number): string {
  return SERIES[i % SERIES.length];
}

export function hexToRgb(hex: string): RGB {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export function rgbToHex([r, g, b]: RGB): string {
  return `#${((1 << 24) | (Math.round(r) << 16) | (Math.round(g) << 8) | Math.round(b)).toString(16).slice(1)}`;
}

// Viridis at 9 stops (matplotlib), interpolated linearly.
const VIRIDIS: RGB[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [253, 231, 37],
];

/** Viridis colour of t in [0, 1] (clamped). */
export function viridis(t: number): RGB {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** SyncCP mask categories. */
export const MASK_COLOURS = {
  both: OKABE_ITO.blue,
  targetOnly: OKABE_ITO.orange,
  onlineOnly: OKABE_ITO.purple,
  pruned: '#D4D4D4',
} as const;

const PATTERN_RAMP_START = 0.4;

/**
 * N:M pattern colours: Okabe–Ito for up to 6 patterns (2:4), viridis beyond — from 0.4 on:
 * its dark end (#440154) beside dense's #222222 had a contrast of 1.04, so a pattern read as
 * "still dense".
 */
export function patternColour(id: number, count: number): string {
  const six = [OKABE_ITO.orange, OKABE_ITO.skyBlue, OKABE_ITO.green, OKABE_ITO.yellow, OKABE_ITO.blue, OKABE_ITO.purple];
  if (count <= six.length) return six[id];
  return rgbToHex(viridis(PATTERN_RAMP_START + (1 - PATTERN_RAMP_START) * (count === 1 ? 0 : id / (count - 1))));
}

export const NM_SPECIAL_COLOURS = {
  dense: '#222222',
  other: OKABE_ITO.vermillion,
  tail: '#BBBBBB',
  unlisted: '#777777',
} as const;
