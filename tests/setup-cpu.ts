import * as tf from '@tensorflow/tfjs';

// Every unit test runs on the deterministic cpu backend unless it picks another.
import { registerFastCpuKernels } from '../src/engine/kernels/cpuConv2DBackpropFilter';

registerFastCpuKernels();
await tf.setBackend('cpu');
await tf.ready();
