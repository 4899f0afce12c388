// In the browser, on the page's WebGPU: the sparse masked conv programs (what the engine
// runs for SyncCP masks, kernels/webgpuSparseConv.ts) against the masked dense conv on the
// same backend — forward, dx and dW on seeded shapes (odd sizes, strides 1 and 2, 1×1 and
// 3×3, C_in not a multiple of 4) for 2:4 masks, 2:4 ramp layers (some groups dense),
// channel, unstructured, density 0 and 1. The unit tests check the same on Dawn in Node.
import * as tf from '@tensorflow/tfjs';
import { benchMask, type MaskKind } from '../engine/kernelBench';
import { maskedConv2d, maskedConvPath } from '../engine/nn/maskedConv';
import { rememberMaskValues } from '../engine/nn/maskValues';
import type { ConvLayerSpec } from '../engine/nn/resnet';
import { Rng } from '../engine/random';

export interface SparseConvCheck {
  cases: number;
  /** Cases whose forward, dx or dW differ from the masked dense conv by more than 1e-4 relative, or that ran dense. */
  mismatches: string[];
}

const CASES: { kind: MaskKind | 'ramp'; density: number; shape: [number, number, number, number, number, number, number] }[] = [
  // [B, H, W, C, K, F, stride]
  { kind: 'nm', density: 0.5, shape: [2, 7, 5, 6, 5, 3, 1] },
  { kind: 'nm', density: 0.5, shape: [3, 6, 6, 8, 7, 3, 2] },
  { kind: 'nm', density: 0.5, shape: [2, 5, 7, 9, 4, 1, 2] },
  { kind: 'ramp', density: 0.5, shape: [2, 7, 7, 11, 6, 3, 1] },
  { kind: 'ramp', density: 0.5, shape: [1, 8, 5, 16, 9, 3, 2] },
  { kind: 'channel', density: 0.5, shape: [2, 6, 7, 5, 8, 3, 1] },
  { kind: 'unstructured', density: 0.2, shape: [2, 7, 6, 7, 5, 3, 2] },
  { kind: 'unstructured', density: 0.5, shape: [3, 5, 5, 4, 6, 1, 1] },
  { kind: 'unstructured', density: 0, shape: [2, 5, 5, 3, 4, 3, 1] },
  { kind: 'unstructured', density: 1, shape: [2, 6, 5, 5, 3, 3, 2] },
];

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

export async function checkSparseConv(): Promise<SparseConvCheck> {
  const rng = new Rng(41);
  const mismatches: string[] = [];
  for (const c of CASES) {
    const [B, H, W, C, K, F, stride] = c.shape;
    const layer = { kh: F, kw: F, cin: C, cout: K } as ConvLayerSpec;
    const m = benchMask(layer, c.kind === 'ramp' ? 'nm' : c.kind, c.density, rng);
    // A ramp layer: about half of the (tap, output, group) units dense.
    if (c.kind === 'ramp')
      for (let t = 0; t < F * F; t++) for (let k = 0; k < K; k++) for (let g = 0; g < C; g += 4) if (rng.next() < 0.5) for (let i = g; i < Math.min(C, g + 4); i++) m[(t * C + i) * K + k] = 1;
    const x = tf.tensor4d(Float32Array.from({ length: B * H * W * C }, () => (rng.next() < 0.4 ? 0 : rng.next() * 2 - 1)), [B, H, W, C]);
    const w = tf.tensor4d(Float32Array.from({ length: F * F * C * K }, () => rng.next() * 2 - 1), [F, F, C, K]);
    const mask = rememberMaskValues(tf.tensor4d(m, [F, F, C, K]), m);
    const label = `${c.kind} ${c.density} [${B},${H},${W},${C}]→${K} ${F}×${F}/${stride}`;
    const outs = (['always', 'off'] as const).map((mode) =>
      tf.tidy(() => {
        const conv = (xi: tf.Tensor, wi: tf.Tensor) => maskedConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, mask, stride, mode);
        const y = conv(x, w);
        const r = tf.randomUniform(y.shape, -1, 1, 'float32', 5);
        return [y, ...tf.grads((xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(conv(xi, wi), r)))([x, w])];
      }),
    );
    if (maskedConvPath(mask, 'always') !== 'wgsl') mismatches.push(`${label}: did not take the sparse programs`);
    const [sparse, dense] = await Promise.all(outs.map((ts) => Promise.all(ts.map((t) => t.data()))));
    ['y', 'dx', 'dW'].forEach((what, i) => {
      const d = maxRelDiff(sparse[i], dense[i]);
      if (!(d <= 1e-4)) mismatches.push(`${label}: ${what} differs by ${d.toExponential(2)}`);
    });
    tf.dispose([x, w, mask, ...outs.flat()]);
  }
  return { cases: CASES.length, mismatches };
}
