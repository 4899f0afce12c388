// Tests for the shipped Fashion-MNIST subset: it loads, is balanced, equals Debian's originals, and bad files fail clearly.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_COUNTS, FASHION_MNIST_FILES, loadFashionMnist } from '../../../src/engine/data/fashionMnist';
import { parseConfig } from '../../../src/engine/config';
import { loadDataset } from '../../../src/engine/data/index';
import type { AssetReader } from '../../../src/engine/data/types';

const PUBLIC = join(__dirname, '../../../public');
const DEBIAN = '/usr/share/datasets/fashion-mnist';
const fsReader: AssetReader = async (p) => new Uint8Array(readFileSync(join(PUBLIC, p)));

/** A reader serving the shipped files except for overrides. */
const readerWith = (overrides: Record<string, Uint8Array>): AssetReader => async (p) => overrides[p] ?? fsReader(p);

const counts = (labels: Uint8Array) => {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
};

describe('loadFashionMnist (shipped subset)', async () => {
  const ds = await loadFashionMnist(fsReader);

  it('has 10000 train and 2000 test 28×28×1 images, exactly balanced', () => {
    expect([ds.name, ds.height, ds.width, ds.channels]).toEqual(['fashion-mnist', 28, 28, 1]);
    expect(ds.train.count).toBe(10000);
    expect(ds.test.count).toBe(2000);
    expect(ds.train.images.length).toBe(10000 * 784);
    expect(ds.test.images.length).toBe(2000 * 784);
    expect(counts(ds.train.labels)).toEqual(new Array(10).fill(1000));
    expect(counts(ds.test.labels)).toEqual(new Array(10).fill(200));
    expect(ds.classNames).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  });

  it('a run asking for more images than ship is refused under the setting, not cut short quietly', () => {
    // The limit the settings check is what the files hold.
    expect(FASHION_MNIST_COUNTS).toEqual({ train: ds.train.count, test: ds.test.count });
    expect(() => parseConfig({ data: { name: 'fashion-mnist', trainCount: 10001 } })).toThrow(/data\.trainCount: Fashion-MNIST ships 10000 training images/);
    expect(() => parseConfig({ data: { name: 'fashion-mnist', testCount: 2001 } })).toThrow(/data\.testCount: Fashion-MNIST ships 2000 held-out images/);
    expect(parseConfig({ data: { name: 'fashion-mnist', trainCount: 10000, testCount: 2000 } }).data.trainCount).toBe(10000);
    // Shapes are generated: any count within the setting's range.
    expect(parseConfig({ data: { name: 'shapes', trainCount: 20000 } }).data.trainCount).toBe(20000);
  });

  it('ships a licence and provenance with checksums', () => {
    const dir = join(PUBLIC, 'data/fashion-mnist');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/MIT License[\s\S]*Zalando SE[\s\S]*Permission is hereby granted/);
    const prov = readFileSync(join(dir, 'PROVENANCE.md'), 'utf8');
    expect(prov).toMatch(/dataset-fashion-mnist/);
    expect(prov).toMatch(/first 1000 examples of each class/);
  });

  it.skipIf(!existsSync(DEBIAN))(`equals the first 1000 / 200 per class of Debian's originals in ${DEBIAN} (skipped when absent)`, () => {
    for (const [split, from, per] of [['train', 'train', 1000], ['test', 't10k', 200]] as const) {
      // Read the originals directly (16- and 8-byte IDX headers) and apply the subset rule here.
      const imgs = gunzipSync(readFileSync(join(DEBIAN, `${from}-images-idx3-ubyte.gz`))).subarray(16);
      const labs = gunzipSync(readFileSync(join(DEBIAN, `${from}-labels-idx1-ubyte.gz`))).subarray(8);
      const seen = new Array(10).fill(0);
      const keep: number[] = [];
      for (let i = 0; i < labs.length; i++) if (seen[labs[i]]++ < per) keep.push(i);
      const got = ds[split];
      expect(keep.length).toBe(got.count);
      const want = Buffer.concat(keep.map((i) => imgs.subarray(i * 784, (i + 1) * 784)));
      expect(Buffer.from(got.images).equals(want)).toBe(true);
      expect(Array.from(got.labels)).toEqual(keep.map((i) => labs[i]));
    }
  });

  it('rejects a corrupt gzip, naming the file', async () => {
    const gz = new Uint8Array(readFileSync(join(PUBLIC, FASHION_MNIST_FILES.testLabels)));
    for (let i = 20; i < 60; i++) gz[i] ^= 0x5a;
    await expect(loadFashionMnist(readerWith({ [FASHION_MNIST_FILES.testLabels]: gz }))).rejects.toThrow(
      'data/fashion-mnist/test-labels.idx1.gz: corrupt or truncated gzip data',
    );
  });

  it('rejects a truncated gzip', async () => {
    const gz = new Uint8Array(readFileSync(join(PUBLIC, FASHION_MNIST_FILES.testLabels)));
    await expect(loadFashionMnist(readerWith({ [FASHION_MNIST_FILES.testLabels]: gz.subarray(0, gz.length - 50) }))).rejects.toThrow(
      /test-labels\.idx1\.gz: corrupt or truncated gzip data/,
    );
  });

  it('says so when a server answered with an HTML page instead of the file', async () => {
    const html = new TextEncoder().encode('<!doctype html><html><body>index</body></html>');
    await expect(loadFashionMnist(readerWith({ [FASHION_MNIST_FILES.trainImages]: html }))).rejects.toThrow(
      /train-images\.idx3\.gz: not a gzip file: .*looks like HTML/,
    );
  });

  it('rejects valid gzip holding a truncated IDX, and mismatched counts', async () => {
    const raw = gunzipSync(readFileSync(join(PUBLIC, FASHION_MNIST_FILES.testImages)));
    const truncated = new Uint8Array(gzipSync(raw.subarray(0, raw.length - 784)));
    await expect(loadFashionMnist(readerWith({ [FASHION_MNIST_FILES.testImages]: truncated }))).rejects.toThrow(
      'data/fashion-mnist/test-images.idx3.gz: IDX data truncated: expected 1568016 bytes',
    );
    // A consistent IDX with one image fewer: the label file no longer matches.
    const fewer = Buffer.from(raw.subarray(0, raw.length - 784));
    fewer.writeUInt32BE(1999, 4);
    await expect(loadFashionMnist(readerWith({ [FASHION_MNIST_FILES.testImages]: new Uint8Array(gzipSync(fewer)) }))).rejects.toThrow(
      'label count 2000 does not match image count 1999',
    );
  });

  it('rejects labels out of range', async () => {
    const raw = Buffer.from(gunzipSync(readFileSync(join(PUBLIC, FASHION_MNIST_FILES.testLabels))));
    raw[8 + 5] = 10;
    await expect(loadFashionMnist(readerWith({ [FASHION_MNIST_FILES.testLabels]: new Uint8Array(gzipSync(raw)) }))).rejects.toThrow(
      'label 10 at index 5 is out of range: expected 0..9',
    );
  });

  it('reports a reader failure with the path', async () => {
    const failing: AssetReader = async (p) => {
      if (p.endsWith('test-images.idx3.gz')) throw new Error('HTTP 404');
      return fsReader(p);
    };
    await expect(loadFashionMnist(failing)).rejects.toThrow('data/fashion-mnist/test-images.idx3.gz: could not read: HTTP 404');
  });
});

describe('loadDataset', () => {
  it('cuts fashion-mnist to a balanced subset that keeps the stored order', async () => {
    const full = await loadFashionMnist(fsReader);
    const ds = await loadDataset('fashion-mnist', { seed: 0, read: fsReader, trainCount: 505, testCount: 100 });
    expect(ds.train.count).toBe(505);
    const c = counts(ds.train.labels);
    expect(c.slice(0, 5)).toEqual([51, 51, 51, 51, 51]);
    expect(c.slice(5)).toEqual([50, 50, 50, 50, 50]);
    expect(counts(ds.test.labels)).toEqual(new Array(10).fill(10));
    // The first kept image is the first stored image (every class has quota left at the start).
    expect(Buffer.from(ds.train.images.subarray(0, 784)).equals(Buffer.from(full.train.images.subarray(0, 784)))).toBe(true);
  });

  it('generates shapes with the requested counts and needs a reader for fashion-mnist', async () => {
    const ds = await loadDataset('shapes', { seed: 4, trainCount: 30, testCount: 10 });
    expect([ds.name, ds.train.count, ds.test.count, ds.channels]).toEqual(['shapes', 30, 10, 3]);
    await expect(loadDataset('fashion-mnist', { seed: 0 })).rejects.toThrow(/AssetReader/);
    await expect(loadDataset('cifar' as never, { seed: 0 })).rejects.toThrow(/unknown dataset "cifar"/);
  });
});
