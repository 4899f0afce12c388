// CDG's quantile gate on WebGL as GPGPU programs: an exact radix select of the k-th
// largest saliency, then the gate and Δ, all on the device (no readback). WebGL2 has no
// compute shaders, atomics or scattered writes, so a histogram is computed the other way
// round: each of the 16 bins of a pass is one output texel that loops over all n values
// and counts those whose key matches the digits chosen so far and has the bin's next
// 4-bit digit. 8 passes of 4 bits (16·n key reads each) find the 32-bit key T of the k-th
// largest and how many of the ties with T to open; tfjs' TopK (a bitonic sort of ~55–110
// draws) cost ~20 ms a layer at the tiny size on SwiftShader, and a rank count (n² reads,
// src/bench/webglRankGate.ts) lost to it. Keys are webgpuSelect's (NaN as −∞, −0 as +0):
// the gate is topKGate's bit for bit, Δ = midway between the k-th and (k+1)-th largest.
//
// A pass's output is a state of STATE texels: [0..15] the counts of its bins,
// [16] and [17] the digits chosen before it (high and low 16 bits), [18] how many of the
// values matching those digits are still to open. Every later program re-derives the
// next digit from it (16 reads), so no program needs more than two inputs. Counts are
// floats: exact up to 2^24 values, and this path is only taken with float32 textures.
import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';

const BITS = 4;
const BINS = 1 << BITS;
const PASSES = 32 / BITS;
const STATE = BINS + 3;

type Program = Parameters<MathBackendWebGL['compileAndRun']>[0];

/**
 * Whether the programs below can run here for n values: WebGL2 (uint ops, floatBitsToUint),
 * float32 render targets, and n within what their float counts hold exactly (webglSelectFits).
 */
export function webglSelectAvailable(n: number): boolean {
  return webglSelectFits(n) && tf.getBackend() === 'webgl' && tf.env().getNumber('WEBGL_VERSION') === 2 && tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
}

/**
 * Counts and the still-to-open number are float texels, exact to 2^24: above it (BYOL's four
 * branches at batch 512, 64 px, channel groups) k could open one unit too many. The tf-op path takes those.
 */
export function webglSelectFits(n: number): boolean {
  return n <= 2 ** 24;
}

const KEY_GLSL = `
  // Order-preserving key of a float's bits: NaN as −∞, −0 as +0.
  uint keyOf(float v) {
    uint b = floatBitsToUint(v);
    if ((b & 0x7fffffffu) > 0x7f800000u) { b = 0xff800000u; }
    if (b == 0x80000000u) { b = 0u; }
    return (b & 0x80000000u) != 0u ? ~b : (b | 0x80000000u);
  }
  float valueOf(uint key) {
    return uintBitsToFloat((key & 0x80000000u) != 0u ? (key & 0x7fffffffu) : ~key);
  }
`;

/**
 * GLSL that sets prefix (digits so far, including the one chosen from state's counts),
 * rem (values still to open among those matching prefix) and ties (how many match it),
 * from the input `state`.
 */
const DERIVE_GLSL = `
  uint prefix = (uint(getState(${BINS})) << 16) | uint(getState(${BINS + 1}));
  int rem = int(getState(${BINS + 2}));
  int d = ${BINS - 1};
  int above = 0;
  for (int t = 0; t < ${BINS - 1}; t++) {
    int c = int(getState(d));
    if (above + c >= rem) { break; }
    above += c;
    d--;
  }
  rem -= above;
  int ties = int(getState(d));
  prefix = (prefix << ${BITS}) | uint(d);
`;

/** Pass p of the radix select over x [n] (p = 0: no state input, k a uniform: it changes every step of a ramp). */
function passProgram(n: number, p: number): Program {
  const shift = 32 - BITS * (p + 1); // the bits of this pass's digit start here
  const first = p === 0;
  return {
    variableNames: first ? ['x'] : ['x', 'state'],
    outputShape: [STATE],
    customUniforms: first ? [{ name: 'k', type: 'int' }] : undefined,
    userCode: `
      ${KEY_GLSL}
      void main() {
        int o = getOutputCoords();
        ${first ? 'uint prefix = 0u; int rem = k;' : DERIVE_GLSL}
        if (o == ${BINS}) { setOutput(float(prefix >> 16)); return; }
        if (o == ${BINS + 1}) { setOutput(float(prefix & 0xffffu)); return; }
        if (o == ${BINS + 2}) { setOutput(float(rem)); return; }
        uint bin = uint(o);
        int count = 0;
        for (int j = 0; j < ${n}; j++) {
          uint key = keyOf(getX(j));
          ${first ? '' : `if ((key >> ${shift + BITS}) != prefix) { continue; }`}
          if (((key >> ${shift}) & ${BINS - 1}u) == bin) { count++; }
        }
        setOutput(float(count));
      }
    `,
  };
}

/** The gate [n]: keys above T open, the first rem ties with T (by index) open. */
function gateProgram(n: number): Program {
  return {
    variableNames: ['x', 'state'],
    outputShape: [n],
    userCode: `
      ${KEY_GLSL}
      void main() {
        int i = getOutputCoords();
        ${DERIVE_GLSL}
        uint key = keyOf(getX(i));
        if (key != prefix) { setOutput(key > prefix ? 1.0 : 0.0); return; }
        int before = 0;
        for (int j = 0; j < ${n}; j++) {
          if (j >= i) { break; }
          if (keyOf(getX(j)) == prefix) { before++; }
        }
        setOutput(before < rem ? 1.0 : 0.0);
      }
    `,
  };
}

/** Δ [1]: midway between the k-th largest value (T) and the (k+1)-th (T again when ties remain closed). */
function deltaProgram(n: number): Program {
  return {
    variableNames: ['x', 'state'],
    outputShape: [1],
    userCode: `
      ${KEY_GLSL}
      void main() {
        ${DERIVE_GLSL}
        uint next = prefix;
        if (ties <= rem) {
          next = 0u;
          for (int j = 0; j < ${n}; j++) {
            uint key = keyOf(getX(j));
            if (key < prefix && key > next) { next = key; }
          }
        }
        setOutput((valueOf(prefix) + valueOf(next)) * 0.5);
      }
    `,
  };
}

/** dy · α·σ'(α(x − Δ)) (× g when detached: closed units pass nothing), elementwise over [n]. */
function surrogateProgram(n: number, detached: boolean): Program {
  return {
    variableNames: detached ? ['dy', 'x', 'delta', 'g'] : ['dy', 'x', 'delta'],
    outputShape: [n],
    customUniforms: [{ name: 'alpha', type: 'float' }],
    userCode: `
      void main() {
        int i = getOutputCoords();
        float sig = 1.0 / (1.0 + exp(-alpha * (getX(i) - getDelta(0))));
        setOutput(getDy(i) * alpha * sig * (1.0 - sig)${detached ? ' * getG(i)' : ''});
      }
    `,
  };
}

function run(p: Program, inputs: tf.Tensor[], uniforms?: number[][]): tf.Tensor {
  const backend = tf.backend() as MathBackendWebGL;
  return tf.engine().makeTensorFromTensorInfo(backend.compileAndRun(p, inputs, 'float32', uniforms));
}

/**
 * The exact quantile gate of x on WebGL: g (x's shape, 0/1, exactly k open: largest keys,
 * ties by lower index) and Δ [1] (midway between the k-th and (k+1)-th largest). Needs
 * 0 < k < n and webglSelectAvailable(). 10 draws, each a loop over n.
 */
export function webglTopKGate(x: tf.Tensor, k: number): { gate: tf.Tensor; delta: tf.Tensor1D } {
  const n = x.size;
  if (!(Number.isInteger(k) && k > 0 && k < n)) throw new Error(`webglTopKGate: k must be an integer in (0, ${n}) (got ${k})`);
  return tf.tidy(() => {
    const flat = tf.reshape(x, [n]);
    let state = run(passProgram(n, 0), [flat], [[k]]);
    for (let p = 1; p < PASSES; p++) state = run(passProgram(n, p), [flat, state]);
    const gate = tf.reshape(run(gateProgram(n), [flat, state]), x.shape);
    const delta = run(deltaProgram(n), [flat, state]) as tf.Tensor1D;
    return { gate, delta };
  });
}

/** ∂L/∂s of the gate: dy · α·σ'(α(s − Δ)), × g for the 'detached' gradient; one draw. */
export function webglGateSurrogate(dy: tf.Tensor, s: tf.Tensor, delta: tf.Tensor, alpha: number, gate?: tf.Tensor): tf.Tensor {
  const n = s.size;
  return tf.tidy(() => {
    const ins = [tf.reshape(dy, [n]), tf.reshape(s, [n]), tf.reshape(delta, [1])];
    if (gate) ins.push(tf.reshape(gate, [n]));
    return tf.reshape(run(surrogateProgram(n, gate !== undefined), ins, [[alpha]]), s.shape);
  });
}
