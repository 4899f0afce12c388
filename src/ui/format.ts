/** 1.23 GFLOP style, for per-step training FLOPs. */
export function fmtFlops(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const units = ['', 'k', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}FLOP`;
}

export function fmtRate(sps: number): string {
  if (!sps) return '—';
  return sps >= 10 ? sps.toFixed(0) : sps >= 1 ? sps.toFixed(1) : sps.toFixed(2);
}
