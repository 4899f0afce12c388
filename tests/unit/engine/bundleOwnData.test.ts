// A run on own images carries them in run.zip (state/bundleData.ts): an import needs no
// files and continues with the losses of the run that was never exported; any own images
// survive encode → decode unchanged; a damaged data.json or data.bin is refused with what
// was expected, never half-read.
import * as fc from 'fast-check';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data';
import type { Dataset } from '../../../src/engine/data/types';
import { shrinkDataset } from '../../../src/engine/data/areaResize';
import { imageSideOrDefault } from '../../../src/engine/data/imageSide';
import { RunSession } from '../../../src/engine/session';
import { peekRunUpload, readRunUpload } from '../../../src/engine/state/bundle';
import { MAX_RUN_FILE_BYTES } from '../../../src/engine/runFile';
import { decodeOwnData, encodeOwnData, MAX_DATA_BYTES } from '../../../src/engine/state/bundleData';
import { exportedRun, losses } from '../helpers/exportedRun';

// Own images as the worker holds them for a run: a Dataset named 'own' at the run's image
// size (here shapes' pixels shrunk to it).
const config = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 10, data: { name: 'own' }, eval: { knnEvery: 0, logEvery: 1 } } });
const side = imageSideOrDefault(config.data.imageSize);
const shapes = await loadDataset('shapes', { seed: 9, trainCount: 32, testCount: 16 });
const own: Dataset = shrinkDataset({ ...shapes, name: 'own', source: 'own images' }, side);

let zip: Uint8Array;
let reference: number[];

beforeAll(async () => {
  ({ zip, reference } = await exportedRun(config, own, 3, 5));
});

/** The zip with some files replaced (undefined: removed). */
/**
 * `zip` with the size `name` declares set to `size` in its local header (+22) and its
 * directory entry (+24), as a zip bomb declares it; its bytes stay small.
 */
function declaringSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const nameBytes = new TextEncoder().encode(name);
  let patched = 0;
  for (let i = 0; i + 46 < out.length; i++) {
    const sig = view.getUint32(i, true);
    const [nameAt, sizeAt] = sig === 0x04034b50 ? [30, 22] : sig === 0x02014b50 ? [46, 24] : [0, 0];
    if (!nameAt || view.getUint16(i + (sig === 0x04034b50 ? 26 : 28), true) !== nameBytes.length) continue;
    if (!nameBytes.every((b, k) => out[i + nameAt + k] === b)) continue;
    view.setUint32(i + sizeAt, size, true);
    patched++;
  }
  if (patched !== 2) throw new Error(`${name}: patched ${patched} size fields, expected 2`);
  return out;
}

function rezip(changes: Record<string, Uint8Array | undefined>): Uint8Array {
  const files: Record<string, Uint8Array> = { ...unzipSync(zip) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete files[k];
    else files[k] = v;
  }
  return zipSync(files);
}

describe('run.zip of an own-data run', () => {
  it('carries the images it trains on: the import gets them back byte for byte and continues with the uninterrupted losses', async () => {
    expect(Object.keys(unzipSync(zip)).sort()).toEqual(['data.bin', 'data.json', 'model.json', 'run.json', 'weights.bin']);
    const up = readRunUpload('run.zip', zip);
    const d = up.ownData!;
    expect(d.name).toBe('own');
    expect([d.height, d.width, d.channels, d.classNames]).toEqual([own.height, own.width, own.channels, own.classNames]);
    for (const split of ['train', 'test'] as const) {
      expect(d[split].count).toBe(own[split].count);
      expect(Buffer.from(d[split].images).equals(Buffer.from(own[split].images))).toBe(true);
      expect(Array.from(d[split].labels)).toEqual(Array.from(own[split].labels));
    }
    // The worker trains the import on these images (no files loaded): the next losses are the reference's.
    const s = RunSession.restore(up.session!, d);
    expect(await losses(s, 2)).toEqual(reference.slice(3, 5));
    s.dispose();
  });

  it('a run on a built-in dataset carries no images', async () => {
    const c = buildConfig({ preset: 'simclr-dense', tiny: true, overrides: { steps: 10, eval: { knnEvery: 0, logEvery: 1 } } });
    const s = new RunSession(c, shapes);
    await losses(s, 1);
    const z = await s.bundle();
    s.dispose();
    expect(Object.keys(unzipSync(z)).sort()).toEqual(['model.json', 'run.json', 'weights.bin']);
    expect(readRunUpload('run.zip', z).ownData).toBeUndefined();
  });

  it('refuses damaged images with what was expected', () => {
    const files = unzipSync(zip);
    const bin = files['data.bin'];
    const meta = JSON.parse(strFromU8(files['data.json']));
    const per = own.height * own.width * own.channels;
    const expected = (own.train.count + own.test.count) * (per + 1);
    expect(bin.length).toBe(expected); // hand count: every image's bytes and one label byte each
    const cases: [Record<string, Uint8Array | undefined>, RegExp][] = [
      [{ 'data.bin': bin.slice(0, -1) }, new RegExp(`data.bin has ${expected - 1} bytes.*needs ${expected}`)],
      [{ 'data.bin': undefined }, /need both data.json and data.bin/],
      [{ 'data.json': strToU8('{not json') }, /data.json is not JSON/],
      [{ 'data.json': strToU8(JSON.stringify({ ...meta, channels: 2 })) }, /data.json: channels/],
      [{ 'data.json': strToU8(JSON.stringify({ ...meta, classNames: ['a'] })) }, /data.json: classNames/],
      [{ 'data.json': strToU8(JSON.stringify({ ...meta, trainCount: 20_000, testCount: 1 })) }, /20001 images, more than own data takes \(20000\)/],
      // Images of another side than the run's (a zip put together by hand): not silently resized.
      [{ 'data.json': strToU8(JSON.stringify({ ...meta, height: side / 2, width: side * 2 })) }, new RegExp(`holds ${side / 2}×${side * 2}×3 images; this run trains on ${side}×${side} RGB`)],
    ];
    // A label past the class list: the first train label set to the number of classes.
    const badLabel = bin.slice();
    badLabel[own.train.count * per] = own.classNames.length;
    cases.push([{ 'data.bin': badLabel }, new RegExp(`label ${own.classNames.length}, but data.json names ${own.classNames.length} classes`)]);
    for (const [change, message] of cases) {
      expect(() => readRunUpload('run.zip', rezip(change))).toThrow(/own images are damaged|need both/);
      expect(() => readRunUpload('run.zip', rezip(change))).toThrow(message);
    }
  });

  it('a data.bin that says it inflates past the cap is refused before it is inflated', () => {
    // The cap by hand: 20 000 RGB images of 64×64 and a label byte each.
    expect(MAX_DATA_BYTES).toBe(20_000 * (64 * 64 * 3 + 1));
    const bomb = declaringSize(rezip({}), 'data.bin', MAX_DATA_BYTES + 1);
    expect(() => readRunUpload('run.zip', bomb)).toThrow(/data.bin inflates to 234 MB, more than a run of this app can have/);
  });

  it('run.json and model.json that say they inflate past their own caps are refused before inflating (not at the weights\' 256 MB)', () => {
    // A 250 MB run.json used to be inflated whole, then refused at 32 MB.
    expect(() => readRunUpload('run.zip', declaringSize(rezip({}), 'run.json', MAX_RUN_FILE_BYTES + 1))).toThrow(/run\.json inflates to 32 MB, more than a run of this app can have/);
    expect(() => peekRunUpload('run.zip', declaringSize(rezip({}), 'run.json', 100 * 1024 * 1024))).toThrow(/run\.json inflates to 100 MB/);
    expect(() => readRunUpload('run.zip', declaringSize(rezip({}), 'model.json', 64 * 1024 * 1024))).toThrow(/model\.json inflates to 64 MB/);
    // At the caps themselves nothing is refused for size (the sizes declared are then lies, which fflate cuts off; refused for the bytes).
    expect(() => readRunUpload('run.zip', declaringSize(rezip({}), 'run.json', MAX_RUN_FILE_BYTES))).not.toThrow(/inflates to/);
  });

  it('data.bin is train images, train labels, test images, test labels, back to back (a hand-built example)', () => {
    const d: Dataset = {
      name: 'own', height: 1, width: 1, channels: 3, classNames: ['a', 'b', 'c'],
      train: { images: Uint8Array.of(1, 2, 3, 4, 5, 6), labels: Uint8Array.of(2, 0), count: 2 },
      test: { images: Uint8Array.of(7, 8, 9), labels: Uint8Array.of(1), count: 1 },
    };
    const { json, bin } = encodeOwnData(d);
    expect(Array.from(bin)).toEqual([1, 2, 3, 4, 5, 6, 2, 0, 7, 8, 9, 1]);
    expect(JSON.parse(json)).toMatchObject({ height: 1, width: 1, channels: 3, trainCount: 2, testCount: 1, classNames: ['a', 'b', 'c'] });
    expect(decodeOwnData(json, Uint8Array.of(1, 2, 3, 4, 5, 6, 2, 0, 7, 8, 9, 1))).toEqual(d);
  });

  it('any own images survive encode → decode unchanged', () => {
    const arb = fc.record({
      h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), c: fc.constantFrom(1 as const, 3 as const),
      classes: fc.integer({ min: 2, max: 12 }), train: fc.integer({ min: 1, max: 9 }), test: fc.integer({ min: 1, max: 9 }), seed: fc.integer(),
    });
    fc.assert(fc.property(arb, ({ h, w, c, classes, train, test, seed }) => {
      let x = seed >>> 0;
      const byte = (mod: number) => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24) % mod;
      const split = (n: number) => ({ images: Uint8Array.from({ length: n * h * w * c }, () => byte(256)), labels: Uint8Array.from({ length: n }, () => byte(classes)), count: n });
      const d: Dataset = { name: 'own', source: 'CIFAR-10 (own files)', height: h, width: w, channels: c, classNames: Array.from({ length: classes }, (_, i) => `class ${i}`), train: split(train), test: split(test) };
      const { json, bin } = encodeOwnData(d);
      expect(decodeOwnData(json, bin)).toEqual(d);
    }), { numRuns: 100 });
  });
});
