// The median of a few timings: the middle value, or the mean of the two middle ones for an
// even count (the upper middle one alone overstated a 10-step window of two speeds by a third).

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
