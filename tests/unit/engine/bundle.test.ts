// run.zip: export → import continues the run with the losses the exported run would have
// had (reference: the same run without a break); weights.bin is tf.io's format (read here
// by tf.io.decodeWeights); damaged or foreign files are refused with what was expected.
import * as tf from '@tensorflow/tfjs';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import { RunSession } from '../../../src/engine/session';
import { peekRunUpload, readRunUpload, writeBundle } from '../../../src/engine/state/bundle';
import type { RunFile } from '../../../src/engine/runFile';
import { decodeWeights, encodeWeights } from '../../../src/engine/state/tfioWeights';
import { exportedRun, losses } from '../helpers/exportedRun';

const dataset = await loadDataset('shapes', { seed: 5, trainCount: 32, testCount: 16 });
const config = buildConfig({ preset: 'syncp-unstructured', tiny: true, overrides: { steps: 10, eval: { knnEvery: 0, logEvery: 1 } } });

let zip: Uint8Array;
let reference: number[];

beforeAll(async () => {
  ({ zip, reference } = await exportedRun(config, dataset, 4, 6, { rows: [{ step: 4, heat: new Uint8Array([0, 255]), m: new Float32Array([0.5]) }] }));
});

describe('run.zip', () => {
  it('holds run.json, a tf.io model.json and weights.bin that tf.io decodes to the saved values', async () => {
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['model.json', 'run.json', 'weights.bin']);
    const model = JSON.parse(new TextDecoder().decode(files['model.json']));
    expect(model.weightsManifest[0].paths).toEqual(['weights.bin']);
    const w = files['weights.bin'];
    const decoded = tf.io.decodeWeights(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength), model.weightsManifest[0].weights);
    const ours = readRunUpload('run.zip', zip).session!.trainer.arrays;
    expect(Object.keys(decoded).sort()).toEqual(Object.keys(ours).sort());
    for (const [k, t] of Object.entries(decoded)) expect(Array.from(await t.data())).toEqual(Array.from(ours[k].data));
    tf.dispose(Object.values(decoded));
    const run = JSON.parse(new TextDecoder().decode(files['run.json']));
    expect(run.version).toBe(2);
    expect(run.state.step).toBe(4);
    expect(run.masks.layers.length).toBeGreaterThan(0);
  });

  it('import → continue gives the next losses of the run that was exported; the replay comes back with its typed arrays', async () => {
    const before = tf.memory().numTensors;
    const up = readRunUpload('run.zip', zip);
    expect(up.replay).toEqual({ rows: [{ step: 4, heat: new Uint8Array([0, 255]), m: new Float32Array([0.5]) }] });
    const s = RunSession.restore(up.session!, dataset);
    expect(s.history.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(await losses(s, 2)).toEqual(reference.slice(4, 6));
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a bare run.json (v2 or an old v1 file) imports for replay only', () => {
    const text = unzipSync(zip)['run.json'];
    const v2 = readRunUpload('run.json', text);
    expect(v2.session).toBeUndefined();
    expect(v2.run.history.length).toBe(4);
    const old = JSON.parse(new TextDecoder().decode(text));
    delete old.state;
    delete old.replay;
    old.version = 1;
    const v1 = readRunUpload('old.json', strToU8(JSON.stringify(old)));
    expect(v1.session).toBeUndefined();
    expect(v1.run.config).toEqual(config);
  });

  it('a replay that does not decode (damaged, a later version\'s typed array) is dropped, and the run still imports and continues', async () => {
    const files = unzipSync(zip);
    const run = JSON.parse(new TextDecoder().decode(files['run.json']));
    for (const bad of [{ $typed: 'Float32Array', b64: 'AAA=' }, { $typed: 'Float16Array', b64: 'AAAA' }]) {
      run.replay = { rows: [{ step: 4, heat: bad }] };
      const up = readRunUpload('run.zip', zipSync({ ...files, 'run.json': strToU8(JSON.stringify(run)) }));
      expect(up.replay).toBeUndefined();
      const s = RunSession.restore(up.session!, dataset);
      expect(await losses(s, 2)).toEqual(reference.slice(4, 6));
      s.dispose();
    }
  });

  it('refuses damaged or foreign files, saying what was expected', () => {
    const files = unzipSync(zip);
    const rezip = (patch: Record<string, Uint8Array | undefined>) => {
      const f: Record<string, Uint8Array> = {};
      for (const [k, v] of Object.entries({ ...files, ...patch })) if (v) f[k] = v;
      return zipSync(f);
    };
    expect(() => readRunUpload('x.zip', zip.slice(0, 200))).toThrow(/not a readable zip/);
    expect(() => readRunUpload('x.zip', rezip({ 'weights.bin': files['weights.bin'].slice(0, 100) }))).toThrow(/weights.bin has 100 bytes, model.json's manifest needs \d+/);
    expect(() => readRunUpload('x.zip', rezip({ 'model.json': strToU8('{"format":"layers-model","weightsManifest":[]}') }))).toThrow(/model.json is not a saved run of this app/);
    expect(() => readRunUpload('x.zip', rezip({ 'model.json': undefined }))).toThrow(/not in the zip/);
    expect(() => readRunUpload('x.zip', rezip({ 'run.json': undefined }))).toThrow(/has no run.json/);
    const future = JSON.parse(new TextDecoder().decode(files['run.json']));
    future.version = 9;
    expect(() => readRunUpload('x.zip', rezip({ 'run.json': strToU8(JSON.stringify(future)) }))).toThrow(/version 9 is newer/);
    expect(() => readRunUpload('x.json', strToU8('{"version":2,'))).toThrow(/not valid JSON/);
  });

  it('refuses a run.zip whose stored weights.bin changed by one bit (same size, so no other check sees it)', () => {
    const w = unzipSync(zip)['weights.bin'];
    // weights.bin is stored uncompressed: find its bytes in the zip and flip one bit of float 200.
    const head = w.subarray(0, 64);
    let at = -1;
    for (let i = 0; i + 64 <= zip.length && at < 0; i++) if (head.every((b, j) => zip[i + j] === b)) at = i;
    expect(at).toBeGreaterThan(0);
    const bad = zip.slice();
    bad[at + 4 * 200 + 1] ^= 0x10;
    expect(unzipSync(bad)['weights.bin'].length).toBe(w.length);
    expect(() => readRunUpload('x.zip', bad)).toThrow(/x\.zip is damaged: weights\.bin does not match the checksum the zip records/);
    expect(() => peekRunUpload('x.zip', bad)).not.toThrow();
    // The untouched zip still reads.
    expect(readRunUpload('x.zip', zip).session).toBeTruthy();
  });

  it('a bundle whose weights do not fit its config is refused when restored, and nothing stays allocated', () => {
    const run = JSON.parse(new TextDecoder().decode(unzipSync(zip)['run.json']));
    run.config.model.widths = [8, 24];
    const files = unzipSync(zip);
    const up = readRunUpload('x.zip', zipSync({ ...files, 'run.json': strToU8(JSON.stringify(run)) }));
    const before = tf.memory().numTensors;
    expect(() => RunSession.restore(up.session!, dataset)).toThrow(/has shape \[.*\], this run needs \[/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('weights.bin names', () => {
  it('a tensor named like an Object property decodes as its own key; a real duplicate is still refused', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const specs = [{ name, shape: [1], dtype: 'float32' as const }];
      const out = decodeWeights(specs, new Uint8Array(Float32Array.of(7).buffer));
      expect(Object.keys(out)).toEqual([name]);
      expect(Array.from(out[name].data as Float32Array)).toEqual([7]);
    }
    const twice = [
      { name: 'online.x', shape: [1], dtype: 'float32' as const },
      { name: 'online.x', shape: [1], dtype: 'float32' as const },
    ];
    expect(() => decodeWeights(twice, new Uint8Array(8))).toThrow(/model.json lists online.x twice/);
  });
});

describe('a run too large to import again', () => {
  it('is refused at export, with its size, instead of writing a run.zip the import would refuse', () => {
    // 65 × 2^20 float32 = 260 MiB (the data is never read: the size alone decides), over the 256 MiB an import takes.
    const big = { shape: [65, 1024, 1024], dtype: 'float32' as const, data: new Float32Array(1) };
    expect(() => encodeWeights({ 'online.x': big })).toThrow(/is 260 MB, more than the 256 MB an import of it could take/);
    // A small one round-trips through the import's decoder.
    const small = { 'online.y': { shape: [2, 3], dtype: 'float32' as const, data: Float32Array.from([1, 2, 3, 4, 5, 6]) } };
    const { specs, data } = encodeWeights(small);
    expect(Array.from(decodeWeights(specs, data)['online.y'].data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('so is one whose run.json is over the 32 MB the import reads', () => {
    const run = { version: 2, history: [{ step: 1, note: 'x'.repeat(33 * 1024 * 1024) }] } as unknown as RunFile;
    expect(() => writeBundle(run, {})).toThrow(/run.json\) come to 33 MB, more than the 32 MB an import of it could take/);
  });
});
