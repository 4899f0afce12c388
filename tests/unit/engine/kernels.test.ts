// The fast cpu Conv2DBackpropFilter must equal tfjs' own kernel on every stride/padding/shape.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { CONV_CASES } from './convCases';
import { originalCpuConv2DBackpropFilter } from '../../../src/engine/kernels/cpuConv2DBackpropFilter';

describe('fast cpu Conv2DBackpropFilter', () => {
  it.each(CONV_CASES)('B=%i H=%i W=%i Cin=%i Cout=%i k=%i stride=%i %s', async (b, h, w, cin, cout, k, stride, pad) => {
    const original = originalCpuConv2DBackpropFilter();
    expect(original, 'the fast kernel must have replaced a registered one').toBeDefined();
    const x = tf.randomNormal([b, h, w, cin], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filterShape: [number, number, number, number] = [k, k, cin, cout];
    const yShape = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, stride, pad).shape;
    const dy = tf.randomNormal(yShape, 0, 1, 'float32', 2) as tf.Tensor4D;
    const fast = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
    const backend = tf.backend();
    const ref = original!.kernelFunc({
      inputs: { x, dy },
      backend,
      attrs: { strides: stride, pad, dataFormat: 'NHWC', filterShape },
    }) as tf.TensorInfo;
    const refT = tf.engine().makeTensorFromTensorInfo(ref);
    const a = await fast.data();
    const r = await refT.data();
    expect(a.length).toBe(r.length);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(r[i], 3);
    tf.dispose([x, dy, fast, refT]);
  });
});

describe('the cpu weight gradient of an NCHW conv', () => {
  it('goes to tfjs’ own kernel (the fast one is NHWC only; it threw) and equals the NHWC gradient', async () => {
    const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    const r = tf.randomNormal([2, 5, 6, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
    const nhwc = tf.grad((wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, wi as tf.Tensor4D, 1, 'same'), r)))(w);
    const xc = tf.transpose(x, [0, 3, 1, 2]) as tf.Tensor4D;
    const rc = tf.transpose(r, [0, 3, 1, 2]);
    const nchw = tf.grad((wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xc, wi as tf.Tensor4D, 1, 'same', 'NCHW'), rc)))(w);
    const [a, b] = await Promise.all([nchw.data(), nhwc.data()]);
    for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 3);
    tf.dispose([x, w, r, xc, rc, nhwc, nchw]);
  });
});
