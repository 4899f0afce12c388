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
  const digits = (x: number) => (Math.abs(x) < 10 ? 2 : Math.abs(x) < 100 ? 1 : 0);
  // Rounded first: 999.6 k is 1.00 M (not "1000 k"), 9.996 is 10.0 (not "10.00").
  v = Number(v.toFixed(digits(v)));
  if (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(digits(v))} ${units[i]}FLOP`;
}

export function fmtRate(sps: number): string {
  if (!sps) return '—';
  return sps >= 10 ? sps.toFixed(0) : sps >= 1 ? sps.toFixed(1) : sps.toFixed(2);
}
