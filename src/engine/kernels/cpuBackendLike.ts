// What the project's cpu kernels use of tfjs' cpu backend: a tensor's values by data id, and
// a new tensor from values (the backend keeps the array it is given; neither copies).
import type * as tf from '@tensorflow/tfjs';

export interface CpuBackendLike<V = Float32Array> {
  data: { get(id: unknown): { values: V } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: V): tf.TensorInfo;
}
