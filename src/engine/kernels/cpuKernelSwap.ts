// The project's cpu kernels take the place of tfjs' own by name. tfjs' kernel stays
// reachable: the fast ones hand it the cases they do not cover (other dtypes, shapes), and
// the parity tests and A/B scripts compare against it.
import * as tf from '@tensorflow/tfjs';

const originals = new Map<string, tf.KernelConfig>();

/**
 * Registers `kernelFunc` as the cpu backend's kernel `name` in place of tfjs' (once a name;
 * later calls change nothing). Where tfjs has no such cpu kernel nothing is registered.
 */
export function replaceCpuKernel<A>(name: string, kernelFunc: (args: A) => tf.TensorInfo | tf.TensorInfo[]): void {
  if (originals.has(name)) return;
  const original = tf.getKernel(name, 'cpu');
  if (!original) return;
  originals.set(name, original);
  tf.unregisterKernel(name, 'cpu');
  tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** tfjs' own cpu kernel `name`, once replaced. */
export function originalCpuKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name);
}

/** Runs tfjs' own cpu kernel `name` on a kernel's arguments (a replaced one's fallback). */
export function callOriginalCpuKernel<A, R = tf.TensorInfo>(name: string, args: A): R {
  return (originals.get(name)!.kernelFunc as unknown as (a: A) => R)(args);
}
