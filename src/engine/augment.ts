// Seeded augmentations as tfjs ops (GPU on webgpu/webgl): random resized crop, flip, colour jitter, grayscale, solarize.
import * as tf from '@tensorflow/tfjs';
import { Rng } from './random';

/**
 * SimCLR-style augmentation settings. Probabilities are per sample. Jitter strengths
 * follow torchvision: brightness/contrast/saturation factors are drawn from
 * [max(0, 1 − s), 1 + s], hue shift from [−hue, hue] turns (hue ≤ 0.5).
 */

/** How far inside the outermost pixel centres a clamped crop end is kept (pixels; see toBox). */
const EDGE_PX = 1e-3;
export interface AugmentConfig {
  /** Random resized crop: area fraction range. */
  cropScale: [number, number];
  /** Random resized crop: aspect ratio (width / height) range, sampled log-uniformly. */
  cropRatio: [number, number];
  flipProb: number;
  /** Probability that colour jitter is applied at all (then all four parts apply). */
  jitterProb: number;
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  /** RGB only. */
  grayscaleProb: number;
  /** Invert pixels ≥ 0.5 (BYOL's second view uses 0.2). */
  solarizeProb: number;
}

/** SimCLR's CIFAR recipe (no blur): crop [0.2, 1], flip 0.5, jitter 0.8 × (0.4, 0.4, 0.4, 0.1), grayscale 0.2. */
export const defaultAugment: AugmentConfig = {
  cropScale: [0.2, 1],
  cropRatio: [3 / 4, 4 / 3],
  flipProb: 0.5,
  jitterProb: 0.8,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.4,
  hue: 0.1,
  grayscaleProb: 0.2,
  solarizeProb: 0,
};

/** Identity (for evaluation): whole image, no flip, no colour change. */
export const noAugment: AugmentConfig = {
  cropScale: [1, 1],
  cropRatio: [1, 1],
  flipProb: 0,
  jitterProb: 0,
  brightness: 0,
  contrast: 0,
  saturation: 0,
  hue: 0,
  grayscaleProb: 0,
  solarizeProb: 0,
};

/** Throws a message naming the first invalid field. */
export function validateAugmentConfig(cfg: AugmentConfig): void {
  const bad = (field: string, want: string, got: unknown) => {
    throw new Error(`AugmentConfig.${field}: expected ${want}, got ${JSON.stringify(got)}`);
  };
  const [s0, s1] = cfg.cropScale;
  if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) bad('cropScale', '0 < lo ≤ hi ≤ 1', cfg.cropScale);
  const [r0, r1] = cfg.cropRatio;
  if (!(r0 > 0 && r0 <= r1 && Number.isFinite(r1))) bad('cropRatio', '0 < lo ≤ hi', cfg.cropRatio);
  for (const k of ['flipProb', 'jitterProb', 'grayscaleProb', 'solarizeProb'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] <= 1)) bad(k, 'a probability in [0, 1]', cfg[k]);
  }
  for (const k of ['brightness', 'contrast', 'saturation'] as const) {
    if (!(cfg[k] >= 0 && Number.isFinite(cfg[k]))) bad(k, 'a finite number ≥ 0', cfg[k]);
  }
  if (!(cfg.hue >= 0 && cfg.hue <= 0.5)) bad('hue', 'a number in [0, 0.5]', cfg.hue);
}

/** Everything random about one augmented batch, drawn on the CPU. One entry (or 4 for boxes) per sample. */
export interface AugmentParams {
  /** [B, 4] as [y1, x1, y2, x2] in tf.image.cropAndResize coordinates; x1 > x2 means flipped. */
  boxes: Float32Array;
  /** [B, 4] as [top, left, height, width], fractions of the input image: the crop drawn, before flipping (for display). */
  crops: Float32Array;
  brightness: Float32Array;
  contrast: Float32Array;
  saturation: Float32Array;
  /** Hue rotation in turns (0 = none). */
  hue: Float32Array;
  /** 1 = convert to grayscale. */
  grayscale: Float32Array;
  /** 1 = solarize. */
  solarize: Float32Array;
}

/**
 * Draws the crop as torchvision's RandomResizedCrop does (area fraction, log-uniform
 * ratio, 10 tries, then the whole image), and returns it as a box for cropAndResize.
 * The mapping puts output pixel centres evenly inside the crop, so the full-image box
 * at the input size is exactly the identity.
 */
function sampleBox(
  rng: Rng, h: number, w: number, outH: number, outW: number, cfg: AugmentConfig, out: Float32Array, crops: Float32Array, o: number,
): void {
  let x0 = 0, y0 = 0, wn = 1, hn = 1;
  const lr0 = Math.log(cfg.cropRatio[0]), lr1 = Math.log(cfg.cropRatio[1]);
  for (let tries = 0; tries < 10; tries++) {
    const area = rng.uniform(cfg.cropScale[0], cfg.cropScale[1]);
    const ratio = Math.exp(rng.uniform(lr0, lr1));
    // Fractions of the width and height whose pixel aspect ratio is `ratio` and whose area is `area`.
    const cw = Math.sqrt(area * ratio * h / w);
    const ch = Math.sqrt(area / ratio * w / h);
    if (cw <= 1 && ch <= 1) {
      wn = cw;
      hn = ch;
      x0 = rng.uniform(0, 1 - cw);
      y0 = rng.uniform(0, 1 - ch);
      break;
    }
  }
  crops[o] = y0;
  crops[o + 1] = x0;
  crops[o + 2] = hn;
  crops[o + 3] = wn;
  // Continuous fraction u → pixel coordinate u·size − ½; cropAndResize's coordinate c → pixel c·(size − 1).
  // Clamped to the outermost pixel centres: beyond them cropAndResize returns its
  // extrapolation value (black) rather than the edge pixel. A clamped end is kept EDGE_PX
  // inside: exactly on the edge, the float32 sums of wasm, WebGL and WebGPU land past it in
  // ~0.3 % of views and blacken a row or column (the cpu's float64 does not, but takes the
  // same box, so the backends see the same views).
  const toBox = (start: number, len: number, size: number, outSize: number): [number, number] => {
    if (size === 1) return [0, 0];
    const clamp = (v: number) => (v < 0 ? EDGE_PX : v > size - 1 ? size - 1 - EDGE_PX : v);
    const a = clamp((start + (0.5 * len) / outSize) * size - 0.5);
    const b = clamp((start + len - (0.5 * len) / outSize) * size - 0.5);
    return [a / (size - 1), b / (size - 1)];
  };
  const [ya, yb] = toBox(y0, hn, h, outH);
  const [xa, xb] = toBox(x0, wn, w, outW);
  out[o] = ya;
  out[o + 1] = xa;
  out[o + 2] = yb;
  out[o + 3] = xb;
}

/**
 * Draws every random parameter for a batch from `rng`, sample by sample in a fixed
 * order, so a given stream always yields the same parameters whatever the backend.
 */
export function sampleAugmentParams(
  rng: Rng, batch: number, height: number, width: number, channels: number, cfg: AugmentConfig, outSize?: number,
): AugmentParams {
  validateAugmentConfig(cfg);
  const outH = outSize ?? height, outW = outSize ?? width;
  const p: AugmentParams = {
    boxes: new Float32Array(4 * batch),
    crops: new Float32Array(4 * batch),
    brightness: new Float32Array(batch).fill(1),
    contrast: new Float32Array(batch).fill(1),
    saturation: new Float32Array(batch).fill(1),
    hue: new Float32Array(batch),
    grayscale: new Float32Array(batch),
    solarize: new Float32Array(batch),
  };
  const rgb = channels === 3;
  for (let i = 0; i < batch; i++) {
    sampleBox(rng, height, width, outH, outW, cfg, p.boxes, p.crops, 4 * i);
    if (rng.bool(cfg.flipProb)) {
      const t = p.boxes[4 * i + 1];
      p.boxes[4 * i + 1] = p.boxes[4 * i + 3];
      p.boxes[4 * i + 3] = t;
    }
    // Draw all jitter factors even when jitter is off, so one sample's draws never
    // depend on another's coin flips.
    const jitter = rng.bool(cfg.jitterProb);
    const factor = (strength: number) => rng.uniform(Math.max(0, 1 - strength), 1 + strength);
    const b = factor(cfg.brightness);
    const c = factor(cfg.contrast);
    const s = factor(cfg.saturation);
    const hshift = rng.uniform(-cfg.hue, cfg.hue);
    if (jitter) {
      p.brightness[i] = b;
      p.contrast[i] = c;
      if (rgb) {
        p.saturation[i] = s;
        p.hue[i] = hshift;
      }
    }
    const gray = rng.bool(cfg.grayscaleProb);
    if (gray && rgb) p.grayscale[i] = 1;
    if (rng.bool(cfg.solarizeProb)) p.solarize[i] = 1;
  }
  return p;
}

// RGB → YIQ; a hue shift is a rotation of the (I, Q) chroma plane.
const RGB2YIQ = [
  [0.299, 0.587, 0.114],
  [0.596, -0.274, -0.322],
  [0.211, -0.523, 0.312],
];
const YIQ2RGB = invert3(RGB2YIQ);

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** Per sample the 3×3 matrix N with rgb_out(row) = rgb_in(row) · N, i.e. N = (YIQ2RGB · R(θ) · RGB2YIQ)ᵀ. */
function hueMatrices(hue: Float32Array): Float32Array {
  const out = new Float32Array(9 * hue.length);
  for (let k = 0; k < hue.length; k++) {
    if (hue[k] === 0) {
      // Exact identity, so un-jittered samples are untouched bit for bit.
      out[9 * k] = out[9 * k + 4] = out[9 * k + 8] = 1;
      continue;
    }
    const th = 2 * Math.PI * hue[k], cs = Math.cos(th), sn = Math.sin(th);
    const R = [[1, 0, 0], [0, cs, -sn], [0, sn, cs]];
    const RT = [0, 1, 2].map((r) => [0, 1, 2].map((c) => R[r][0] * RGB2YIQ[0][c] + R[r][1] * RGB2YIQ[1][c] + R[r][2] * RGB2YIQ[2][c]));
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        const m = YIQ2RGB[r][0] * RT[0][c] + YIQ2RGB[r][1] * RT[1][c] + YIQ2RGB[r][2] * RT[2][c];
        out[9 * k + 3 * c + r] = m; // transposed
      }
    }
  }
  return out;
}

const allEqual = (a: Float32Array, v: number) => a.every((x) => x === v);

/**
 * Luma [B, H, W, 1] of RGB. On GPU backends as one matmul by the [3, 1] weights: tfjs'
 * GPU reduction over a 3-channel axis gives each pixel its own 256-invocation workgroup,
 * and a [3] operand broadcast against [B, H, W, 3] is slow on WebGPU; on SwiftShader these
 * few luma calls were the most expensive kernels of a whole training step. cpu/wasm keep
 * the multiply-and-sum (their float32 results are what the augmentation tests pin).
 */
function luma(x: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[3] === 1) return x;
  const backend = tf.getBackend();
  if (backend !== 'webgpu' && backend !== 'webgl') return tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
  const [b, h, w] = x.shape;
  return tf.reshape(tf.matMul(tf.reshape(x, [b * h * w, 3]), tf.tensor2d([0.299, 0.587, 0.114], [3, 1])), [b, h, w, 1]);
}

/** Applies drawn parameters. Every step is one batched op; steps whose parameters are all identity are skipped. */
export function applyAugmentParams(images: tf.Tensor4D, p: AugmentParams, outSize?: number): tf.Tensor4D {
  const [bsz, h, w, c] = images.shape;
  if (p.brightness.length !== bsz) throw new Error(`applyAugmentParams: parameters for ${p.brightness.length} samples, batch has ${bsz}`);
  if (c !== 1 && c !== 3) throw new Error(`applyAugmentParams: expected 1 or 3 channels, found ${c}`);
  const outH = outSize ?? h, outW = outSize ?? w;
  return tf.tidy(() => {
    const perSample = (a: Float32Array) => tf.tensor4d(a, [bsz, 1, 1, 1]);
    const clip = (t: tf.Tensor) => tf.clipByValue(t, 0, 1) as tf.Tensor4D;
    const boxInd = tf.tensor1d(Int32Array.from({ length: bsz }, (_, i) => i), 'int32');
    let x = tf.image.cropAndResize(tf.cast(images, 'float32') as tf.Tensor4D, tf.tensor2d(p.boxes, [bsz, 4]), boxInd, [outH, outW], 'bilinear');
    // Jitter in torchvision's usual order, clipping after each step as it does.
    if (!allEqual(p.brightness, 1)) x = clip(tf.mul(x, perSample(p.brightness)));
    if (!allEqual(p.contrast, 1)) {
      const cf = perSample(p.contrast);
      const mean = tf.mean(luma(x), [1, 2, 3], true);
      x = clip(tf.add(tf.mul(x, cf), tf.mul(tf.sub(1, cf), mean)));
    }
    if (c === 3 && !allEqual(p.saturation, 1)) {
      const sf = perSample(p.saturation);
      x = clip(tf.add(tf.mul(x, sf), tf.mul(tf.sub(1, sf), luma(x))));
    }
    if (c === 3 && !allEqual(p.hue, 0)) {
      const m = tf.tensor3d(hueMatrices(p.hue), [bsz, 3, 3]);
      x = clip(tf.reshape(tf.matMul(tf.reshape(x, [bsz, outH * outW, 3]), m), [bsz, outH, outW, 3]));
    }
    if (c === 3 && !allEqual(p.grayscale, 0)) {
      const g = perSample(p.grayscale);
      x = tf.add(tf.mul(x, tf.sub(1, g)), tf.mul(luma(x), g)) as tf.Tensor4D;
    }
    if (!allEqual(p.solarize, 0)) {
      const sol = tf.where(tf.greaterEqual(x, 0.5), tf.sub(1, x), x);
      const s = perSample(p.solarize);
      x = tf.add(tf.mul(x, tf.sub(1, s)), tf.mul(sol, s)) as tf.Tensor4D;
    }
    return clip(x);
  });
}

/**
 * One augmented view of each image. `rngOrSeed`: a seed (fresh stream) or an Rng that
 * is advanced, so successive calls with one Rng give fresh views.
 * images: float32 [B, H, W, C] in [0, 1], C = 1 or 3. Returns [B, outSize, outSize, C]
 * (default: the input size), clipped to [0, 1].
 */
export function augmentBatch(images: tf.Tensor4D, rngOrSeed: Rng | number, cfg: AugmentConfig = defaultAugment, outSize?: number): tf.Tensor4D {
  const rng = typeof rngOrSeed === 'number' ? new Rng(rngOrSeed) : rngOrSeed;
  const [bsz, h, w, c] = images.shape;
  return applyAugmentParams(images, sampleAugmentParams(rng, bsz, h, w, c, cfg, outSize), outSize);
}

/**
 * The two contrastive views. Each view has its own stream forked from `seed`, so the
 * views differ and each is reproducible. Pass a pair of configs for asymmetric views
 * (e.g. BYOL's solarize on the second view only). For a new pair every step, derive the
 * seed per step, e.g. `new Rng(runSeed).fork(step).seed`.
 */
export function augmentPair(
  images: tf.Tensor4D, seed: number, cfg: AugmentConfig | [AugmentConfig, AugmentConfig] = defaultAugment, outSize?: number,
): [tf.Tensor4D, tf.Tensor4D] {
  const [c1, c2] = Array.isArray(cfg) ? cfg : [cfg, cfg];
  const root = new Rng(seed);
  const v1 = augmentBatch(images, root.fork('view1'), c1, outSize);
  try {
    return [v1, augmentBatch(images, root.fork('view2'), c2, outSize)];
  } catch (e) {
    v1.dispose();
    throw e;
  }
}
