// Summarises experiment runs (DIR/<name>.jsonl from `npm run train -- --json` and
// DIR/<name>/run.json from `--out`) into a markdown table: final kNN, final loss,
// kept-weight density per branch (counted from the saved masks), gate density, and
// training FLOPs relative to the dense run of the same dataset (from the rows' `flops`).
// With --layers, also one table of the final gate density per layer and branch.
// Usage: tsx scripts/summarise-runs.ts DIR [--layers]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Row { step?: number; loss?: number; knn?: number; flops?: { dense: number; effective: number }; gateDensity?: Record<string, { online: number; target: number }>; event?: string; seconds?: number; status?: string }

const dir = process.argv[2];
const perLayer = process.argv.includes('--layers');
const layerRows: string[] = [];
if (!dir || !existsSync(dir)) {
  console.error('usage: tsx scripts/summarise-runs.ts DIR (a folder of <name>.jsonl and <name>/run.json)');
  process.exit(2);
}

function keptFraction(b64: string): [number, number] {
  const bytes = Buffer.from(b64, 'base64');
  let kept = 0;
  for (const v of bytes) kept += v;
  return [kept, bytes.length];
}

const lines: string[] = [];
lines.push('| run | status | kNN | final loss | online density | target density | gate density b1 / b2 | FLOPs / dense (run mean) | FLOPs / dense (end) | wall s |');
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
  const name = file.replace(/\.jsonl$/, '');
  const rows: Row[] = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
  // Step rows only: an error event carries a step too.
  const steps = rows.filter((r) => r.event === undefined && typeof r.step === 'number');
  const end = rows.find((r) => r.event === 'end');
  const last = steps[steps.length - 1];
  // Step 0's kNN is the untrained network's: never the run's result.
  const knn = end && typeof end.knn === 'number' ? end.knn : [...steps].reverse().find((r) => r.step! > 0 && typeof r.knn === 'number')?.knn;
  // FLOPs: effective/dense per logged row; "run mean" weighs every logged row equally.
  const ratios = steps.filter((r) => r.flops).map((r) => r.flops!.effective / r.flops!.dense);
  const mean = ratios.length ? (ratios.reduce((a, b) => a + b, 0) / ratios.length).toFixed(3) : '—';
  let online = '—', target = '—';
  const runJson = join(dir, name, 'run.json');
  if (existsSync(runJson)) {
    const run = JSON.parse(readFileSync(runJson, 'utf8')) as { masks?: { layers?: { online: string; target: string }[] } };
    const layers = run.masks?.layers ?? [];
    if (layers.length) {
      let ko = 0, kt = 0, n = 0;
      for (const l of layers) {
        const [a, total] = keptFraction(l.online);
        const [b] = keptFraction(l.target);
        ko += a; kt += b; n += total;
      }
      online = (ko / n).toFixed(3);
      target = (kt / n).toFixed(3);
    }
  }
  // Gate density (CDG): the last row's per-layer values; the column shows the layer mean per branch.
  const gates = [...steps].reverse().find((r) => r.gateDensity)?.gateDensity;
  let gate = '—';
  if (gates) {
    const names = Object.keys(gates);
    const avg = (k: 'online' | 'target') => names.reduce((a, n) => a + gates[n][k], 0) / names.length;
    gate = `${avg('online').toFixed(3)} / ${avg('target').toFixed(3)}`;
    if (perLayer) for (const n of names) layerRows.push(`| ${name} | ${n} | ${gates[n].online.toFixed(3)} | ${gates[n].target.toFixed(3)} |`);
  }
  lines.push(
    `| ${name} | ${end?.status ?? 'incomplete'} | ${knn === undefined ? '—' : (100 * knn).toFixed(1) + ' %'} | ${last?.loss?.toFixed(2) ?? '—'} | ${online} | ${target} | ${gate} | ${mean} | ${ratios.length ? ratios[ratios.length - 1].toFixed(3) : '—'} | ${end?.seconds?.toFixed(0) ?? '—'} |`,
  );
}
console.log(lines.join('\n'));
if (perLayer && layerRows.length) {
  console.log('\n| run | layer | gate density branch 1 | gate density branch 2 |\n|---|---|---|---|');
  console.log(layerRows.join('\n'));
}
