import * as tf from '@tensorflow/tfjs';

// Every unit test runs on the deterministic cpu backend unless it picks another.
await tf.setBackend('cpu');
await tf.ready();
