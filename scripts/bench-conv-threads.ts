// One conv loop at a time, with and without the conv helper thread (src/cli/convThreads.ts):
// forward, input gradient and filter gradient on the default model's shapes, 300 alternating
// calls each, medians in ms and their ratio (two threads / one).
//   npx tsx scripts/bench-conv-threads.ts
import { startConvThreads } from '../src/cli/convThreads';
import { forwardBlocked, filterGradBlocked, inputGradBlocked, setConvSplitter, ALL } from '../src/engine/kernels/convTaps';
import { median } from '../src/engine/median';
const s = (await startConvThreads())!;
s.minMacs = 0;
const cases: [number, number, number, number][] = [[8, 16, 2, 8], [8, 16, 8, 8], [8, 16, 8, 16], [16, 16, 8, 8], [16, 16, 16, 16], [32, 16, 8, 16], [32, 16, 16, 16], [8, 8, 16, 16], [16, 8, 16, 16]];
for (const [B, H, C, K] of cases) {
  const g = { B, H, W: H, C, OH: H, OW: H, K, FH: 3, FW: 3, top: 1, left: 1, sh: 1, sw: 1 };
  const x = Float32Array.from({ length: B * H * H * C }, (_, i) => (i % 3 ? Math.sin(i) : 0));
  const w = Float32Array.from({ length: 9 * C * K }, (_, i) => Math.cos(i));
  const dy = Float32Array.from({ length: B * H * H * K }, (_, i) => Math.sin(i * 1.3));
  const macs = B * H * H * C * K * 9;
  const res: string[] = [];
  for (const op of ['fwd', 'dx', 'dw'] as const) {
    const t = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < 300; r++) {
      for (const on of r % 2 ? [true, false] : [false, true]) {
        setConvSplitter(on ? s : null);
        const y = new Float32Array(op === 'dw' ? 9 * C * K : op === 'dx' ? B * H * H * C : B * H * H * K);
        const t0 = performance.now();
        if (op === 'fwd') forwardBlocked(x, y, w, g, C, K, ALL(g));
        else if (op === 'dx') inputGradBlocked(y, dy, w, g, ALL(g));
        else filterGradBlocked(x, dy, y, g, ALL(g));
        (on ? t.on : t.off).push(performance.now() - t0);
      }
    }
    const med = median;
    res.push(`${op} ${med(t.off).toFixed(3)}→${med(t.on).toFixed(3)} (${(med(t.on) / med(t.off)).toFixed(2)})`);
  }
  console.log(`B${B} ${H}² C${C}→${K} ${(macs / 1e6).toFixed(2)}M MACs: ${res.join('  ')}`);
}
setConvSplitter(null);
process.exit(0);
