// A 0/1 float32 copy of a mask that owns float data. On WebGPU, tf.cast from bool or int32
// to float32 only relabels the integer buffer, and tfjs' N-D transpose program (which a
// reduction over outer axes runs first) reads that buffer without converting: its shader
// fails to compile, the reduction returns garbage and training goes NaN. Found on a real
// GPU and on SwiftShader with SyncCP channel pruning. A select writes real floats.
import * as tf from '@tensorflow/tfjs';

/** 1 where `mask` is nonzero (or true), else 0, as float32 data of its own. The caller disposes (or tidies) it. */
export function floatMask(mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const on = mask.dtype === 'bool' ? mask : tf.notEqual(mask, 0);
    return tf.where(on, tf.ones(mask.shape), tf.zeros(mask.shape));
  });
}
