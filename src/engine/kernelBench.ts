// Where sparse kernels pay: conv(x, W ⊙ M) forward + both gradients over every prunable
// conv of a model, on the masked dense path and on the row-sparse path (nn/maskedConv.ts),
// interleaved round by round so load drift hits both alike, for masks of each granularity
// at several densities (channel masks: a block's conv2 also skips conv1's pruned channels,
// as in a step). The crossover density (sparse time = dense time) is what
// CPU_SPARSE_CROSSOVER in maskedConv.ts is set from.
import { median } from './median';
import * as tf from '@tensorflow/tfjs';
import type { Config } from './config';
import { maskedConv2d, maskedConvPath, type SparseKernelMode } from './nn/maskedConv';
import { rememberMaskValues } from './nn/maskValues';
import { compactConvOps } from './nn/webgpuMaskedConv';
import { prunableConvs, resnetSpec, type ConvLayerSpec } from './nn/resnet';
import { Rng } from './random';

export type MaskKind = 'unstructured' | 'nm' | 'channel';

export interface KernelBenchRow {
  kind: MaskKind;
  /** Kept fraction of the weights. */
  density: number;
  /** Median ms of forward + dx + dW over all prunable convs, masked dense path. */
  denseMs: number;
  /** The same on the row-sparse kernels (forced). */
  rowsMs: number;
  /** The same on the path 'auto' picks (compact, rows or dense), and which. */
  autoMs: number;
  autoPath: string;
  /** rowsMs / denseMs and autoMs / denseMs: below 1 skipping wins. */
  rowsRatio: number;
  autoRatio: number;
  /** Channel masks off the cpu backend: the compact conv as tf ops, and its ratio to dense. */
  compactMs?: number;
  compactRatio?: number;
}

/** A 0/1 mask of a conv kernel [kh, kw, cin, cout]: unstructured at `density`, N:M (2 of every 4 input channels) or whole output channels. */
export function benchMask(layer: ConvLayerSpec, kind: MaskKind, density: number, rng: Rng): Float32Array {
  const { kh, kw, cin, cout } = layer;
  const m = new Float32Array(kh * kw * cin * cout);
  if (kind === 'unstructured') for (let i = 0; i < m.length; i++) m[i] = rng.next() < density ? 1 : 0;
  else if (kind === 'channel') {
    const keep = Array.from({ length: cout }, (_, k) => k < Math.round(density * cout));
    for (let i = 0; i < m.length; i++) m[i] = keep[i % cout] ? 1 : 0;
  } else {
    for (let t = 0; t < kh * kw; t++)
      for (let k = 0; k < cout; k++)
        for (let g = 0; g < cin; g += 4) {
          const first = Math.floor(rng.next() * Math.min(4, cin - g));
          for (let i = 0; i < Math.min(4, cin - g); i++) if (i === first || i === (first + 1) % Math.min(4, cin - g)) m[((t * cin) + g + i) * cout + k] = 1;
        }
  }
  return m;
}

type BenchLayer = { x: tf.Tensor4D; w: tf.Variable; m: tf.Tensor; stride: number; live?: Int32Array };
type Conv = (x: tf.Tensor4D, w: tf.Tensor4D, l: BenchLayer) => tf.Tensor4D;

async function timeLayers(layers: BenchLayer[], conv: Conv): Promise<number> {
  const t0 = performance.now();
  for (const l of layers) {
    // One backward for dx and dW together, as a training step needs of every conv but the first
    // (two separate gradients would run a custom op's whole backward twice). Read both back
    // (async: a GPU backend has no sync read in Node), so the GPU work is inside the time.
    const grads = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(conv(x as tf.Tensor4D, w as tf.Tensor4D, l)))([l.x, l.w]);
    await Promise.all(grads.map((g) => g.data()));
    tf.dispose(grads);
  }
  return performance.now() - t0;
}

const modeConv = (mode: SparseKernelMode): Conv => (x, w, l) => maskedConv2d(x, w, l.m, l.stride, mode, l.live);

// With its host copy, as SyncCP makes masks (the WebGPU programs read the layout from it).
const maskTensor = (m: Float32Array, shape: number[]) => rememberMaskValues(tf.tensor(m, shape), m);


/**
 * Times every prunable conv of the model (batch `batch`, inputs half zeros like post-ReLU
 * activations) on both paths. Needs the cpu backend (elsewhere both paths are the dense one).
 */
export async function runKernelBench(
  model: Config['model'],
  imageSize: number,
  channels: number,
  batch: number,
  cases: { kind: MaskKind; density: number }[],
  rounds = 3,
  onProgress?: (done: number, total: number) => void,
): Promise<KernelBenchRow[]> {
  const spec = resnetSpec(model, imageSize, imageSize, channels);
  const rng = new Rng(7);
  const rows: KernelBenchRow[] = [];
  for (const [ci, { kind, density }] of cases.entries()) {
    const layers = prunableConvs(spec).map((l) => {
      // Channel masks: a block's conv2 reads conv1's output, whose pruned channels (benchMask
      // prunes the last ones) are exact zeros that the compact conv skips (resnet.ts).
      const live = kind === 'channel' && l.name.endsWith('.conv2') ? Int32Array.from({ length: Math.round(density * l.cin) }, (_, c) => c) : undefined;
      const xs = Float32Array.from({ length: batch * l.inH * l.inW * l.cin }, (_, i) => (rng.next() < 0.5 || (live && i % l.cin >= live.length) ? 0 : rng.next()));
      return {
        live,
        x: tf.tensor4d(xs, [batch, l.inH, l.inW, l.cin]),
        w: tf.variable(tf.randomNormal([l.kh, l.kw, l.cin, l.cout], 0, 0.1, 'float32', 1)),
        m: maskTensor(benchMask(l, kind, density, rng), [l.kh, l.kw, l.cin, l.cout]),
        stride: l.stride,
      };
    });
    const convs: Conv[] = [modeConv('off'), modeConv('always'), modeConv('auto')];
    // Off the cpu backend, channel masks also time the compact conv as tf ops (gathered kernel, smaller conv, outputs expanded).
    const compact = kind === 'channel' && tf.getBackend() !== 'cpu';
    if (compact) convs.push((x, w, l) => compactConvOps(x, w, l.m, l.stride));
    const times: number[][] = convs.map(() => []);
    for (let r = -1; r < rounds; r++)
      for (let i = 0; i < convs.length; i++) {
        const t = await timeLayers(layers, convs[i]);
        if (r >= 0) times[i].push(t);
      }
    const autoPath = [...new Set(layers.map((l) => maskedConvPath(l.m, 'auto', l.live)))].join('+');
    for (const l of layers) tf.dispose([l.x, l.w, l.m]);
    const [dense, rowsT, auto, compactT] = times.map(median);
    rows.push({
      kind, density, denseMs: dense, rowsMs: rowsT, autoMs: auto, autoPath, rowsRatio: rowsT / dense, autoRatio: auto / dense,
      ...(compact ? { compactMs: compactT, compactRatio: compactT / dense } : {}),
    });
    onProgress?.(ci + 1, cases.length);
  }
  return rows;
}

/** The cases `npm run bench -- --kernels` times: each granularity at the presets' densities and around the crossover. */
export const KERNEL_BENCH_CASES: { kind: MaskKind; density: number }[] = [
  ...[0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1].map((density) => ({ kind: 'unstructured' as const, density })),
  { kind: 'nm', density: 0.5 },
  ...[0.25, 0.5, 0.75].map((density) => ({ kind: 'channel' as const, density })),
];

const f2 = (x: number) => x.toFixed(2);

/** The rows as a markdown table; `sparse` names the forced sparse path (row-sparse on cpu, the WGSL programs on webgpu). */
export function kernelMarkdown(rows: KernelBenchRow[], sparse = 'row-sparse'): string {
  const compact = rows.some((r) => r.compactMs !== undefined);
  const head = `| mask | density | masked dense ms | ${sparse} ms | ratio | auto picks | auto ms | ratio |${compact ? ' compact (tf ops) ms | ratio |' : ''}\n|---|---|---|---|---|---|---|---|${compact ? '---|---|' : ''}`;
  const body = rows.map(
    (r) =>
      `| ${r.kind === 'nm' ? '2:4' : r.kind} | ${r.density} | ${r.denseMs.toFixed(0)} | ${r.rowsMs.toFixed(0)} | ${f2(r.rowsRatio)} | ${r.autoPath} | ${r.autoMs.toFixed(0)} | ${f2(r.autoRatio)} |` +
      (compact ? (r.compactMs !== undefined ? ` ${r.compactMs.toFixed(0)} | ${f2(r.compactRatio!)} |` : ' - | - |') : ''),
  );
  return [head, ...body].join('\n');
}

/** A docs section: machine, command, table (bench.ts' upsertSection key: kernels-<backend>-<size>, kernels-<size> on cpu). */
export function kernelSection(rows: KernelBenchRow[], m: { os?: string; cpu?: string; cores?: number; node?: string; adapter?: string }, command: string, tiny: boolean, backend = 'cpu'): string {
  return [
    `### Sparse conv kernels · ${backend} · ${tiny ? 'tiny' : 'default'} size`,
    '',
    `Machine: ${m.cpu ?? '?'} × ${m.cores ?? '?'}, ${m.os ?? '?'}, Node ${m.node ?? '?'}${backend === 'cpu' ? '' : `, adapter ${m.adapter ?? '?'}`}. Command: \`${command}\`.`,
    'Forward + dx + dW of every prunable conv, median ms; ratio < 1: skipping wins.',
    '',
    kernelMarkdown(rows, backend === 'webgpu' ? 'WGSL sparse' : 'row-sparse'),
  ].join('\n');
}
