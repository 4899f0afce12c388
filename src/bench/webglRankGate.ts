// A candidate exact selection for CDG's quantile gate on WebGL, measured by the bench page
// and NOT used by the engine: WebGL2 has no compute shaders, atomics or scattered writes,
// so no histogram select; here each unit counts, in one fragment pass, the units ranked
// above it (larger key, or equal key at a lower index) and opens when fewer than k are —
// topKGate's order exactly (keys as in webgpuSelect.wgsl.ts: NaN as −∞, −0 as +0). O(n²)
// work in ONE draw against tfjs' TopK, a bitonic sort of ~55–110 draws. On SwiftShader it
// lost at every n measured (docs/bench.md), so quantileGate keeps topk + scatter on WebGL;
// `npm run bench -- --browser` prints both timings, to re-decide on a real GPU.
import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';

/** Largest n the bench page checks the rank count at (its cost grows as n²). */
export const WEBGL_RANK_MAX = 4096;

function rankProgram(n: number) {
  return {
    variableNames: ['x'],
    outputShape: [n],
    customUniforms: [{ name: 'k', type: 'int' as const }],
    userCode: `
      uint keyOf(float v) {
        uint b = floatBitsToUint(v);
        if ((b & 0x7fffffffu) > 0x7f800000u) { b = 0xff800000u; }
        if (b == 0x80000000u) { b = 0u; }
        return (b & 0x80000000u) != 0u ? ~b : (b | 0x80000000u);
      }
      void main() {
        int i = getOutputCoords();
        uint ki = keyOf(getX(i));
        int above = 0;
        for (int j = 0; j < ${n}; j++) {
          uint kj = keyOf(getX(j));
          above += (kj > ki || (kj == ki && j < i)) ? 1 : 0;
        }
        setOutput(above < k ? 1.0 : 0.0);
      }
    `,
  };
}

/** 0/1 gate of x's shape: exactly k of x.size open (topKGate's order). Needs 0 < k < n. */
export function webglRankGate(x: tf.Tensor, k: number): tf.Tensor {
  const n = x.size;
  if (!(Number.isInteger(k) && k > 0 && k < n)) throw new Error(`webglRankGate: k must be an integer in (0, ${n}) (got ${k})`);
  const backend = tf.backend() as MathBackendWebGL;
  const flat = tf.reshape(x, [n]);
  const info = backend.compileAndRun(rankProgram(n) as unknown as Parameters<MathBackendWebGL['compileAndRun']>[0], [flat], 'float32', [[k]]);
  const g = tf.engine().makeTensorFromTensorInfo(info);
  const out = tf.reshape(g, x.shape);
  tf.dispose([flat, g]);
  return out;
}

/** Δ [] of a gate g made from x: midway between the smallest open and the largest closed value (NaN as −∞). */
export function gateBoundaryOps(x: tf.Tensor, g: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const xs = tf.where(tf.isNaN(x), tf.fill(x.shape, -Infinity), x);
    const open = tf.greater(g, 0.5);
    const lo = tf.min(tf.where(open, xs, tf.fill(x.shape, Infinity)));
    const hi = tf.max(tf.where(open, tf.fill(x.shape, -Infinity), xs));
    return tf.mul(tf.add(lo, hi), 0.5) as tf.Scalar;
  });
}
