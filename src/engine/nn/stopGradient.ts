// tfjs has no stop_gradient op: identity forward, zero gradient backward.
import * as tf from '@tensorflow/tfjs';

const stop = tf.customGrad(((x: tf.Tensor) => ({ value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]);

export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}
