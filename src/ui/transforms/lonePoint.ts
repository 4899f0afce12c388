// A line with one point draws nothing (a path of zero length): after the first "+1 Step"
// the charts would stay blank. Such a series gets a dot until it has a second point.

/** recharts' `dot` prop for the series `key` of `data`: a small dot while exactly one row has a number there, else none. */
export function dotIfAlone(data: readonly object[], key: string): false | { r: number } {
  let n = 0;
  for (const row of data) {
    const v = (row as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) n += 1;
    if (n > 1) return false;
  }
  return n === 1 ? { r: 3 } : false;
}
