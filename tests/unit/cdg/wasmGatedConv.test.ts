// CDG's gated conv on the wasm backend (kernels/wasmGatedConv.ts: XNNPACK's dual conv for the
// forward, the host gating and JS gradients) against the cpu host path (gatedConvHost, the
// dense-then-multiply reference): the same gates (the sums differ only in float32 rounding),
// values and gradients within float tolerance, in both gate-gradient modes, on the host cases
// (odd sizes, strides 1 and 2, both saliencies, one and two branches, shared and distinct
// kernels, all open and all closed); the dual kernel against a hand-built one; density 0 and
// 1 against tf.conv2d of the base channels and of all channels; the one conv it runs; no leak.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../../src/engine/kernels/wasmKernels';
import { dualKernel } from '../../../src/engine/kernels/wasmGatedConv';
import { gatedConv, type GatedConvOptions } from '../../../src/engine/sparsity/cdgGate';
import { runGatedConv, seededValues, type GatedCase } from '../../../src/bench/gatedConvRun';
import { expectClose, HOST_CASES } from './gatedConvRuns';

const evaluate = (c: GatedCase, opts: GatedConvOptions) => runGatedConv(c, opts, 1 / 3);

describe('dualKernel', () => {
  it('puts channels below cb into the first K outputs and the rest into the last K, zeros elsewhere', () => {
    // [1, 1, 3, 2]: w[c, k] = 10c + k; cb = 1.
    const w = Float32Array.from([0, 1, 10, 11, 20, 21]);
    // Rows per channel, outputs [base k0, base k1, cond k0, cond k1].
    expect(Array.from(dualKernel(w, [1, 1, 3, 2], 1))).toEqual([0, 1, 0, 0, 0, 0, 10, 11, 0, 0, 20, 21]);
  });
});

describe('gated conv on the wasm backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the gates, values and gradients of the cpu host path', async () => {
    for (const [ci, c] of HOST_CASES.entries()) {
      for (const gateGradient of ['detached', 'ste'] as const) {
        await tf.setBackend('cpu');
        const host = await evaluate(c, { gateGradient });
        expect(await initWasmBackend()).toMatchObject({ ok: true });
        const wasm = await evaluate(c, { gateGradient, skipClosed: true });
        const label = `case ${ci} ${gateGradient}`;
        wasm.gates.forEach((g, i) => expect(Array.from(g), `${label} gates ${i}`).toEqual(Array.from(host.gates[i])));
        wasm.ys.forEach((y, i) => expectClose(y, host.ys[i], 1e-5, `${label} y ${i}`));
        wasm.sal.forEach((s, i) => expectClose(s, host.sal[i], 1e-5, `${label} saliency ${i}`));
        wasm.dxs.forEach((d, i) => expectClose(d, host.dxs[i], 2e-5, `${label} dX ${i}`));
        wasm.dws.forEach((d, i) => expectClose(d, host.dws[i], 2e-5, `${label} dK ${i}`));
      }
    }
  });

  it('at density 0 is the base channels’ conv, at density 1 the whole conv (tf.conv2d on cpu)', async () => {
    const [b, h, cin, cout] = [2, 7, 8, 6];
    const xv = seededValues(b * h * h * cin, 3);
    const wv = seededValues(3 * 3 * cin * cout, 4);
    const cb = 2; // β 1/4 of 8
    await tf.setBackend('cpu');
    const ref = (channels: number) =>
      tf.tidy(() => {
        const x = tf.slice(tf.tensor4d(xv, [b, h, h, cin]), [0, 0, 0, 0], [b, h, h, channels]);
        const w = tf.slice(tf.tensor4d(wv, [3, 3, cin, cout]), [0, 0, 0, 0], [3, 3, channels, cout]);
        return tf.conv2d(x, w, 2, 'same').dataSync() as Float32Array;
      });
    const base = ref(cb);
    const full = ref(cin);
    expect(await initWasmBackend()).toMatchObject({ ok: true });
    for (const [density, want] of [[0, base], [1, full]] as const) {
      const y = tf.tidy(() => {
        const r = gatedConv([tf.tensor4d(xv, [b, h, h, cin])], [tf.tensor4d(wv, [3, 3, cin, cout])], { density, beta: 0.25, stride: 2, skipClosed: true });
        return r.ys[0].dataSync() as Float32Array;
      });
      expectClose(y, want, 1e-5, `density ${density}`);
    }
  });

  it('runs one Conv2D per branch, over the dual kernel (2·C_out outputs), and leaks no tensor', async () => {
    expect(await initWasmBackend()).toMatchObject({ ok: true });
    const c = HOST_CASES[1];
    const info = await tf.profile(async () => {
      await evaluate(c, { skipClosed: true, gateGradient: 'ste' });
      return [];
    });
    const convs = info.kernels.filter((k) => k.name === 'Conv2D');
    expect(convs.length).toBe(c.branches);
    for (const k of convs) expect(k.outputShapes[0]?.[3]).toBe(2 * c.cout);
    await evaluate(c, { skipClosed: true, gateGradient: 'detached' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await evaluate(c, { skipClosed: true, gateGradient: 'detached' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
