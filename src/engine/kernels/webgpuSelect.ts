// CDG's exact quantile gate as custom WebGPU programs: the semantics of topKGate (topKGate.ts)
// — exactly k of n open, largest first, ties by lower index, NaN ranks last — in ONE
// dispatch, where tfjs' TopK (a bitonic sort) plus scatterND took ~57 dispatches a layer at
// n = 1024 and ~107 at 16384. The gradient (Δ, then the sigmoid surrogate) is a second
// one-dispatch program, run only when a gradient is taken. Both run in a single workgroup: n is one layer's pooled saliencies (a
// few thousand up to ~100k), where one workgroup's passes cost far less than a dispatch.
// No runtime import of the webgpu backend: the engine loads it lazily (backend.ts).
import * as tf from '@tensorflow/tfjs';
import { runProgram as run, type Program } from './webgpuProgram';
import { BOUNDARY_WGSL, SELECT_WGSL, SURROGATE_WGSL, WG } from './webgpuSelect.wgsl';

function program(key: string, inputs: string[], outputShape: number[], code: string, uniforms?: string): Program {
  return {
    outputShape,
    shaderKey: key,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    workgroupSize: [WG, 1, 1],
    variableNames: inputs,
    uniforms,
    getUserCode: () => code,
  };
}

/** 0/1 gate of x's shape: exactly k of x.size open (topKGate's order). Needs 0 < k < n. */
export function webgpuTopKGate(x: tf.Tensor, k: number): tf.Tensor {
  const n = x.size;
  if (!(Number.isInteger(k) && k > 0 && k < n)) throw new Error(`webgpuTopKGate: k must be an integer in (0, ${n}) (got ${k})`);
  const flat = tf.reshape(x, [n]);
  const g = run(program('cdgTopKGate', ['x'], [n], SELECT_WGSL, 'k : i32,'), [flat], [{ type: 'int32', data: [k] }]);
  const out = tf.reshape(g, x.shape);
  flat.dispose();
  g.dispose();
  return out;
}

/** Δ [] of a gate g made from x: midway between the smallest open and the largest closed value. */
export function webgpuGateBoundary(x: tf.Tensor, g: tf.Tensor): tf.Scalar {
  const n = x.size;
  const xf = tf.reshape(x, [n]);
  const gf = tf.reshape(g, [n]);
  const d = run(program('cdgGateBoundary', ['x', 'g'], [1], BOUNDARY_WGSL), [xf, gf]);
  const out = tf.reshape(d, []) as tf.Scalar;
  tf.dispose([xf, gf, d]);
  return out;
}

/**
 * dx = dy·α·σ'(α(x − Δ)) for a gate g made from x, Δ found from x and g (as
 * webgpuGateBoundary): the straight-through gradient of the quantile gate in one dispatch.
 */
export function webgpuGateSurrogate(x: tf.Tensor, g: tf.Tensor, dy: tf.Tensor, alpha: number): tf.Tensor {
  const n = x.size;
  const [xf, gf, df] = [x, g, dy].map((t) => tf.reshape(t, [n]));
  const d = run(program('cdgGateSurrogate', ['x', 'g', 'dy'], [n], SURROGATE_WGSL, 'alpha : f32,'), [xf, gf, df], [{ type: 'float32', data: [alpha] }]);
  const out = tf.reshape(d, x.shape);
  tf.dispose([xf, gf, df, d]);
  return out;
}
