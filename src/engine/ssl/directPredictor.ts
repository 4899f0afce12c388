// A predictor that is set, not trained (BYOL, SimSiam with `ssl.predictor` directcopy or
// directpred): a linear map W from F, an EMA of the correlation matrix E[z zᵀ] of the
// online projections. Non-contrastive learning needs a predictor that keeps up with the
// encoder; setting it from F makes it keep up by construction.
// - DirectCopy (Wang, Chen, Du, Tian 2021): W = F/‖F‖_F + εI.
// - DirectPred (Tian, Chen, Ganguli 2021): W = U diag(√(s/s_max) + ε) Uᵀ, F = U diag(s) Uᵀ
//   (negative eigenvalues clamped to 0, the result's to 1e-4, as the authors' code does).
// F ← ρ·F + (1 − ρ)·E_batch[z zᵀ] after each step, from that step's online projections
// (held constant); W of a step is set from F before it, so the step's own batch enters the
// next one (the authors' order). F starts at the identity (uncorrelated, unit-variance
// units: what the projector's output BatchNorm gives), so the first predictor is ∝ I.
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../nn/stopGradient';

export type DirectPredictorKind = 'directcopy' | 'directpred';

/** E[z zᵀ] over the rows of all `zs` together (each [n, d]): zᵀz / n, held constant. */
export function batchCorrelation(zs: tf.Tensor2D[]): tf.Tensor2D {
  return tf.tidy(() => {
    const z = tf.concat(zs.map((t) => stopGradient(t))) as tf.Tensor2D;
    return tf.div(tf.matMul(z, z, true, false), z.shape[0]) as tf.Tensor2D;
  });
}

/** DirectCopy's predictor: F/‖F‖_F + εI (F zero: εI). */
export function directCopyWeight(f: tf.Tensor2D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.maximum(tf.norm(f), 1e-30);
    return tf.add(tf.div(f, norm), tf.mul(tf.eye(f.shape[0]), eps)) as tf.Tensor2D;
  });
}

/**
 * Eigen-decomposition of a symmetric d×d matrix (row-major) by cyclic Jacobi rotations:
 * values[j] with vectors[i·d + j] the i-th entry of the j-th eigenvector. d is the
 * projection size (32): a few sweeps of d²/2 rotations on the host.
 */
export function symmetricEigen(a: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  const offNorm = () => {
    let s = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) s += A[i * d + j] ** 2;
    return s;
  };
  let total = 0;
  for (let i = 0; i < d * d; i++) total += A[i] ** 2;
  for (let sweep = 0; sweep < 60 && offNorm() > 1e-22 * Math.max(total, 1e-300); sweep++) {
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (apq === 0) continue;
        const app = A[p * d + p];
        const aqq = A[q * d + q];
        // The rotation that zeroes A[p][q] (Golub & Van Loan, the symmetric Schur 2×2).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k];
          const aqk = A[q * d + k];
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = A[i * d + i];
  return { values, vectors: V };
}

/** DirectPred's predictor from F on the host (row-major d×d): U diag(√(s⁺/s_max) + ε, ≥ 1e-4) Uᵀ. */
export function directPredWeight(f: ArrayLike<number>, d: number, eps: number): Float32Array {
  const { values, vectors } = symmetricEigen(f, d);
  const max = Math.max(...values);
  const scaled = Array.from(values, (s) => Math.max(1e-4, (max > 0 ? Math.sqrt(Math.max(0, s) / max) : 0) + eps));
  const w = new Float32Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let k = 0; k < d; k++) acc += vectors[i * d + k] * scaled[k] * vectors[j * d + k];
      w[i * d + j] = acc;
    }
  }
  return w;
}

/** The set predictor's state (F, a tf.Variable the trainer saves and disposes) and its weight. */
export class DirectPredictor {
  /** F: the EMA of E[z zᵀ], [d, d]. */
  readonly corr: tf.Variable;

  constructor(
    readonly kind: DirectPredictorKind,
    readonly dim: number,
    readonly eps: number,
    readonly rho: number,
  ) {
    this.corr = tf.tidy(() => tf.variable(tf.eye(dim), false));
  }

  /** This step's predictor W (symmetric, so p = z·W in row-vector form). Caller disposes. */
  async weight(): Promise<tf.Tensor2D> {
    if (this.kind === 'directcopy') return directCopyWeight(this.corr as tf.Tensor2D, this.eps);
    const f = await this.corr.data();
    return tf.tensor2d(directPredWeight(f, this.dim, this.eps), [this.dim, this.dim]);
  }

  /** F ← ρ·F + (1 − ρ)·batch. */
  update(batch: tf.Tensor2D): void {
    tf.tidy(() => this.corr.assign(tf.add(tf.mul(this.corr, this.rho), tf.mul(batch, 1 - this.rho))));
  }

  dispose(): void {
    this.corr.dispose();
  }
}
