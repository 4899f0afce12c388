// In the browser, on the page's GPU backends: CDG's selection programs (webgpu:
// kernels/webgpuSelect.ts; webgl: kernels/webglSelect.ts' radix select, both what the
// engine runs) against the host topKGate on seeded inputs — ties, ±0, NaN, both signs,
// k = 1 and n − 1, n around 256 and (webgpu) 100 003 — gate bit for bit, Δ to float32
// tolerance; and, on webgl, the radix select timed against tfjs' topk + scatter. The unit
// tests check webgpu on Dawn in Node; Node has no WebGL, so this and e2e/webglCdg.spec.ts
// are WebGL's checks.
import * as tf from '@tensorflow/tfjs';
import { webgpuGateBoundary, webgpuTopKGate } from '../engine/kernels/webgpuSelect';
import { webglTopKGate } from '../engine/kernels/webglSelect';
import { topKGate } from '../engine/sparsity/cdgGate';

/** Largest n the webgl check runs at: its gate program counts ties by index, O(n · ties). */
const WEBGL_CHECK_MAX = 4099;

export interface GateCheck {
  backend: string;
  cases: number;
  mismatches: string[];
  /** webgl: ms per selection (median of 5, read back), radix select (gate and Δ) vs topk + scatter (gate only), by n. */
  timings?: { n: number; radixMs: number; topkMs: number }[];
}

function values(n: number, kind: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pick = [-1.5, -0.25, -0, 0, 0.25, 0.5, 3, Number.NaN, -Infinity];
  return Float32Array.from({ length: n }, () => (kind === 0 ? pick[Math.floor(rnd() * 7)] : kind === 1 ? pick[Math.floor(rnd() * 9)] : (rnd() - 0.5) * 2e3));
}

function select(x: tf.Tensor, k: number): { g: tf.Tensor; d: tf.Tensor } {
  if (tf.getBackend() === 'webgpu') {
    const g = webgpuTopKGate(x, k);
    return { g, d: webgpuGateBoundary(x, g) };
  }
  const r = webglTopKGate(x, k);
  return { g: r.gate, d: r.delta };
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

/** time: on webgl, also time the radix select against topk + scatter (seconds). */
export async function checkGate(time = true): Promise<GateCheck> {
  const backend = tf.getBackend();
  const out: GateCheck = { backend, cases: 0, mismatches: [] };
  if (backend !== 'webgpu' && backend !== 'webgl') return out;
  const sizes = [2, 255, 256, 257, 1000, 4099, 100_003].filter((n) => backend === 'webgpu' || n <= WEBGL_CHECK_MAX);
  for (const n of sizes) {
    for (const kind of [0, 1, 2]) {
      const v = values(n, kind, n * 7 + kind);
      for (const k of [...new Set([1, Math.max(1, Math.floor(n / 3)), n - 1])]) {
        const x = tf.tensor1d(v);
        const { g, d } = select(x, k);
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
  if (backend === 'webgl' && time) out.timings = await timeWebGL();
  return out;
}

/** The radix select (gate and Δ) against tfjs' topk + scatter (the gate only), interleaved, read back each time. */
async function timeWebGL(): Promise<{ n: number; radixMs: number; topkMs: number }[]> {
  const rows = [];
  for (const n of [1024, 2048, 4096, 8192]) {
    const x = tf.tensor1d(values(n, 2, n));
    const k = Math.round(0.4 * n);
    const topk = () =>
      tf.tidy(() => {
        const open = tf.slice(tf.topk(x, k + 1, true).indices, [0], [k]);
        return tf.scatterND(tf.reshape(open, [k, 1]), tf.ones([k]), [n]);
      });
    const radix = () =>
      tf.tidy(() => {
        const r = webglTopKGate(x, k);
        return tf.concat([tf.reshape(r.gate, [n]), r.delta]);
      });
    const t: Record<'radix' | 'topk', number[]> = { radix: [], topk: [] };
    for (let r = 0; r < 7; r++) {
      for (const [name, f] of (r % 2 ? [['radix', radix], ['topk', topk]] : [['topk', topk], ['radix', radix]]) as ['radix' | 'topk', () => tf.Tensor][]) {
        const t0 = performance.now();
        const o = f();
        await o.data();
        o.dispose();
        if (r >= 2) t[name].push(performance.now() - t0);
      }
    }
    x.dispose();
    rows.push({ n, radixMs: median(t.radix), topkMs: median(t.topk) });
  }
  return rows;
}
