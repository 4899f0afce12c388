// In the browser, on the page's WebGPU: CDG's selection program (kernels/webgpuSelect.ts)
// against the host topKGate on seeded inputs — ties, ±0, NaN, both signs, k = 1 and n − 1,
// n around the workgroup size and 100 003 — gate bit for bit, Δ to float32 tolerance.
// The unit tests do the same on Dawn in Node; this is the check on Chromium's WebGPU.
import * as tf from '@tensorflow/tfjs';
import { webgpuGateBoundary, webgpuTopKGate } from '../engine/kernels/webgpuSelect';
import { topKGate } from '../engine/sparsity/cdg';

export interface GateCheck {
  cases: number;
  mismatches: string[];
}

function values(n: number, kind: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pick = [-1.5, -0.25, -0, 0, 0.25, 0.5, 3, Number.NaN, -Infinity];
  return Float32Array.from({ length: n }, () => (kind === 0 ? pick[Math.floor(rnd() * 7)] : kind === 1 ? pick[Math.floor(rnd() * 9)] : (rnd() - 0.5) * 2e3));
}

export async function checkWebGPUGate(): Promise<GateCheck> {
  const out: GateCheck = { cases: 0, mismatches: [] };
  if (tf.getBackend() !== 'webgpu') return out;
  for (const n of [2, 255, 256, 257, 1000, 4099, 100_003]) {
    for (const kind of [0, 1, 2]) {
      const v = values(n, kind, n * 7 + kind);
      for (const k of [...new Set([1, Math.max(1, Math.floor(n / 3)), n - 1])]) {
        const x = tf.tensor1d(v);
        const g = webgpuTopKGate(x, k);
        const d = webgpuGateBoundary(x, g);
        const [gate, delta] = [await g.data(), (await d.data())[0]];
        tf.dispose([x, g, d]);
        const ref = topKGate(v, k);
        out.cases++;
        const bad = gate.findIndex((e, i) => e !== ref.gate[i]);
        const dOk = Number.isFinite(ref.delta) ? Math.abs(delta - ref.delta) <= 1e-6 * Math.max(1, Math.abs(ref.delta)) : delta === ref.delta;
        if (bad >= 0 || !dOk) out.mismatches.push(`n=${n} kind=${kind} k=${k}: ${bad >= 0 ? `gate differs at ${bad}` : ''} ${dOk ? '' : `Δ ${delta} vs ${ref.delta}`}`.trim());
      }
    }
  }
  return out;
}
