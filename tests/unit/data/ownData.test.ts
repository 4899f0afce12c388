// Own data against hand-built files: CIFAR-10 binary records (label byte + R, G, B planes),
// class folders (with a stand-in decoder), zips of them, and every refused case.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readOwnData, OwnDataError, type ImageDecoder, type OwnFile } from '../../../src/engine/data/ownData';
import { classesInOneSplit } from '../../../src/engine/data/types';
import { OwnImages } from '../../../src/worker/ownImages';
import { decodeOwnData, encodeOwnData } from '../../../src/engine/state/bundleData';

/** A CIFAR record: label, then the R plane filled with r, G with g, B with b; pixel 5 of R set to 200. */
function record(label: number, r: number, g: number, b: number): Uint8Array {
  const x = new Uint8Array(3073);
  x[0] = label;
  x.fill(r, 1, 1025);
  x.fill(g, 1025, 2049);
  x.fill(b, 2049, 3073);
  x[1 + 5] = 200;
  return x;
}
const batch = (...records: Uint8Array[]) => {
  const out = new Uint8Array(records.length * 3073);
  records.forEach((r, i) => out.set(r, i * 3073));
  return out;
};

/**
 * Stand-in decoder: an "image" is 'IMG', one value, then its width and height (16 bits
 * each, little-endian); it decodes to a size×size RGB field of that value.
 */
const decode: ImageDecoder = async (bytes, size) =>
  bytes[0] === 73 && bytes[1] === 77 && bytes[2] === 71
    ? { width: bytes[4] | (bytes[5] << 8), height: bytes[6] | (bytes[7] << 8), rgb: new Uint8Array(size * size * 3).fill(bytes[3]) }
    : null;
const img = (v: number, width = 32, height = 32) => new Uint8Array([73, 77, 71, v, width & 255, width >> 8, height & 255, height >> 8]);
const opts = { decode, size: 8, seed: 1 };
/** The value each image of a split decoded to (its first byte; the stand-in fills all 8×8×3 = 192 with it). */
const firstValues = (split: { images: Uint8Array }) => Array.from(split.images.filter((_, i) => i % 192 === 0));

async function refused(files: OwnFile[], message: RegExp, extra: Partial<typeof opts> & { maxImages?: number; maxBytes?: number } = {}) {
  await expect(readOwnData(files, { ...opts, ...extra })).rejects.toThrow(message);
  await expect(readOwnData(files, { ...opts, ...extra })).rejects.toBeInstanceOf(OwnDataError);
}

describe('own data: CIFAR-10 binary', () => {
  it('reads records: labels, planes → interleaved RGB, train and test batches', async () => {
    const ds = await readOwnData(
      [
        { path: 'cifar/data_batch_1.bin', bytes: batch(record(3, 10, 20, 30), record(9, 1, 2, 3)) },
        { path: 'cifar/test_batch.bin', bytes: batch(record(0, 7, 8, 9)) },
      ],
      { ...opts, size: 32 },
    );
    expect(ds.classNames[3]).toBe('cat');
    expect(Array.from(ds.train.labels)).toEqual([3, 9]);
    expect(Array.from(ds.test.labels)).toEqual([0]);
    // Pixel 0 of image 0: (R, G, B) = (10, 20, 30); pixel 5 has R = 200.
    expect(Array.from(ds.train.images.subarray(0, 3))).toEqual([10, 20, 30]);
    expect(Array.from(ds.train.images.subarray(15, 18))).toEqual([200, 20, 30]);
    expect(ds.height).toBe(32);
  });

  it('resizes to the model size and holds out a test split when there is no test batch', async () => {
    const recs = Array.from({ length: 20 }, (_, i) => record(i % 2, i, 0, 0));
    const ds = await readOwnData([{ path: 'data_batch_1.bin', bytes: batch(...recs) }], { ...opts, size: 16 });
    expect(ds.height).toBe(16);
    expect(ds.train.images.length).toBe(ds.train.count * 16 * 16 * 3);
    expect(ds.train.count + ds.test.count).toBe(20);
    expect(ds.test.count).toBe(4); // 20 % of 10 per class, two classes
  });

  it('shrinks records by 2×2 block means (hand-computed), not by sampling one pixel of each block', async () => {
    // Block (by, bx) of channel c: top-left p, top-right p + 4, bottom-left p + 8, bottom-right
    // p + 12, so its mean is p + 6 exactly (sampling would give one of p … p + 12).
    const p = (by: number, bx: number, c: number, n: number) => (by * 11 + bx * 3 + c * 29 + n * 50) % 240;
    const blocky = (label: number, n: number) => {
      const r = new Uint8Array(3073);
      r[0] = label;
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) r[1 + c * 1024 + y * 32 + x] = p(y >> 1, x >> 1, c, n) + 4 * (x & 1) + 8 * (y & 1);
      return r;
    };
    const ds = await readOwnData(
      [
        { path: 'data_batch_1.bin', bytes: batch(blocky(0, 0), blocky(1, 1)) },
        { path: 'test_batch.bin', bytes: batch(blocky(1, 2)) },
      ],
      { ...opts, size: 16 },
    );
    expect([ds.height, ds.width, ds.train.count, ds.test.count]).toEqual([16, 16, 2, 1]);
    for (const [split, first] of [[ds.train, 0], [ds.test, 2]] as const)
      for (let i = 0; i < split.count; i++)
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++)
            for (let c = 0; c < 3; c++) expect(split.images[((i * 16 + y) * 16 + x) * 3 + c]).toBe(p(y, x, c, first + i) + 6);
  });

  it('loaded at a smaller side gives the same pixels as loaded at 32 and shrunk as a saved run’s images are', async () => {
    // Pixels from a fixed pseudo-random sequence: no structure for one path to get right by luck.
    let s = 12345;
    const noisy = (label: number) => {
      const r = new Uint8Array(3073);
      r[0] = label;
      for (let i = 1; i < 3073; i++) r[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      return r;
    };
    const files = [{ path: 'data_batch_1.bin', bytes: batch(...Array.from({ length: 10 }, (_, i) => noisy(i % 2))) }];
    const saved = new OwnImages(1, await readOwnData(files, { ...opts, size: 32 })); // restored from a save: no files
    for (const side of [8, 16, 24]) {
      const loaded = await readOwnData(files, { ...opts, size: side });
      const shrunk = await saved.at(side, decode);
      expect(loaded.train).toEqual(shrunk.train);
      expect(loaded.test).toEqual(shrunk.test);
      expect([loaded.height, shrunk.height]).toEqual([side, side]);
    }
  });

  it('refuses a size that is not whole records, labels above 9, .bin mixed with images, too many images', async () => {
    await refused([{ path: 'data_batch_1.bin', bytes: new Uint8Array(3073 * 2 + 5) }], /6151 bytes is not a whole number of CIFAR-10 records \(1 label byte \+ 3072 pixel bytes = 3073 bytes each\)/);
    await refused([{ path: 'data_batch_1.bin', bytes: batch(record(12, 0, 0, 0)) }], /record 0 has label 12; CIFAR-10 labels are 0–9/);
    await refused([{ path: 'data_batch_1.bin', bytes: batch(record(1, 0, 0, 0)) }, { path: 'a/b.png', bytes: img(1) }], /mix of .bin batches and other files \(e\.g\. a\/b\.png\)/);
    await refused([{ path: 'data_batch_1.bin', bytes: batch(record(1, 0, 0, 0), record(2, 0, 0, 0), record(3, 0, 0, 0)) }], /3 images in 1 batches; the most this app takes is 2: choose fewer batch files/, { maxImages: 2 });
  });

  it('takes the test batch and the first training batches that fit when the whole folder is too many, and says which', async () => {
    // As the official folder at a cap of 5: three training batches of 2 and a test batch of 2,
    // listed out of order. Room beside the test batch: 3, so data_batch_1 (2) and nothing more.
    const ds = await readOwnData(
      [
        { path: 'c/data_batch_3.bin', bytes: batch(record(5, 0, 0, 0), record(6, 0, 0, 0)) },
        { path: 'c/test_batch.bin', bytes: batch(record(0, 9, 0, 0), record(1, 9, 0, 0)) },
        { path: 'c/data_batch_1.bin', bytes: batch(record(1, 1, 0, 0), record(2, 2, 0, 0)) },
        { path: 'c/data_batch_2.bin', bytes: batch(record(3, 0, 0, 0), record(4, 0, 0, 0)) },
      ],
      { ...opts, maxImages: 5 },
    );
    expect([ds.train.count, ds.test.count]).toEqual([2, 2]);
    expect(Array.from(ds.train.labels)).toEqual([1, 2]);
    expect(Array.from(ds.test.labels)).toEqual([0, 1]);
    expect(ds.source).toBe('CIFAR-10 (own files: data_batch_1.bin, test_batch.bin; 2 more training batches left out, as this app takes at most 5 images)');
    // Many small batches: a few names and a count, short enough for a run.zip, which reads it back.
    const many = await readOwnData(
      [
        { path: 'c/test_batch.bin', bytes: batch(record(0, 9, 0, 0), record(1, 9, 0, 0)) },
        ...Array.from({ length: 150 }, (_, i) => ({ path: `c/a_rather_long_batch_file_name_${String(i).padStart(3, '0')}.bin`, bytes: batch(record(i % 10, 0, 0, 0)) })),
      ],
      { ...opts, maxImages: 122 },
    );
    expect(many.train.count).toBe(120);
    expect(many.source).toMatch(/^CIFAR-10 \(own files: a_rather_long_batch_file_name_000\.bin, .*, a_rather_long_batch_file_name_007\.bin and 113 more; 30 more training batches left out/);
    const { json, bin } = encodeOwnData(many);
    expect(decodeOwnData(json, bin).source).toBe(many.source);
    // The test batch alone over the cap, or no training batch fitting beside it: refused as before.
    await refused([{ path: 'test_batch.bin', bytes: batch(record(1, 0, 0, 0), record(2, 0, 0, 0), record(3, 0, 0, 0)) }], /3 images in 1 batches; the most this app takes is 2/, { maxImages: 2 });
    await refused(
      [
        { path: 'test_batch.bin', bytes: batch(record(1, 0, 0, 0)) },
        { path: 'data_batch_1.bin', bytes: batch(record(1, 0, 0, 0), record(2, 0, 0, 0)) },
      ],
      /3 images in 2 batches; the most this app takes is 2/,
      { maxImages: 2 },
    );
  });

  it('reads the official binary folder: the class-names file and the readme beside the batches are not data', async () => {
    const names = new TextEncoder().encode('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    const ds = await readOwnData(
      [
        { path: 'cifar-10-batches-bin/batches.meta.txt', bytes: names },
        { path: 'cifar-10-batches-bin/data_batch_1.bin', bytes: batch(record(0, 10, 0, 0), record(3, 30, 0, 0), record(3, 31, 0, 0)) },
        { path: 'cifar-10-batches-bin/readme.html', bytes: new TextEncoder().encode('<html><body>CIFAR-10 readme</body></html>') },
        { path: 'cifar-10-batches-bin/test_batch.bin', bytes: batch(record(0, 11, 0, 0), record(3, 32, 0, 0)) },
      ],
      opts,
    );
    expect(ds.source).toBe('CIFAR-10 (own files)');
    expect([ds.train.count, ds.test.count]).toEqual([3, 2]);
    expect(Array.from(ds.train.labels)).toEqual([0, 3, 3]);
    // Another text file beside the batches is still a mix, named.
    await refused([{ path: 'c/data_batch_1.bin', bytes: batch(record(1, 0, 0, 0), record(2, 0, 0, 0)) }, { path: 'c/notes.txt', bytes: names }], /mix of .bin batches and other files \(e\.g\. c\/notes\.txt\)/);
  });

  it('refuses a 0-byte batch, naming it and the record size', async () => {
    await refused([{ path: 'cifar/data_batch_2.bin', bytes: new Uint8Array(0) }], /^cifar\/data_batch_2.bin is empty \(0 bytes\): a CIFAR-10 batch holds records of 1 label byte \+ 3072 pixel bytes \(3073 bytes each\)$/);
    // An empty test batch beside a good training batch is refused too, not silently skipped.
    await refused([{ path: 'data_batch_1.bin', bytes: batch(record(0, 0, 0, 0), record(1, 0, 0, 0)) }, { path: 'test_batch.bin', bytes: new Uint8Array(0) }], /test_batch.bin is empty/);
  });

  it('refuses batches whose records all carry one label, train and test pooled', async () => {
    await refused([{ path: 'data_batch_1.bin', bytes: batch(...Array.from({ length: 6 }, () => record(3, 1, 2, 3))) }], /one class only \(every record has label 3, cat\): the kNN monitor needs records of at least two classes/);
    await refused(
      [
        { path: 'data_batch_1.bin', bytes: batch(record(7, 0, 0, 0), record(7, 0, 0, 0)) },
        { path: 'test_batch.bin', bytes: batch(record(7, 0, 0, 0)) },
      ],
      /label 7, horse/,
    );
    // One label in the training batch and another in the test batch: two classes, accepted.
    const ds = await readOwnData(
      [
        { path: 'data_batch_1.bin', bytes: batch(record(1, 0, 0, 0), record(1, 0, 0, 0)) },
        { path: 'test_batch.bin', bytes: batch(record(2, 0, 0, 0)) },
      ],
      { ...opts, size: 32 },
    );
    expect(new Set([...ds.train.labels, ...ds.test.labels])).toEqual(new Set([1, 2]));
  });
});

describe('own data: class folders and zips', () => {
  const folder = (n: number): OwnFile[] => [
    ...Array.from({ length: n }, (_, i) => ({ path: `pets/cat/${i}.png`, bytes: img(10) })),
    ...Array.from({ length: n }, (_, i) => ({ path: `pets/dog/${i}.jpg`, bytes: img(20) })),
  ];

  it('classes from the folders below the shared root, a held-out split per class, pixels as decoded', async () => {
    const ds = await readOwnData(folder(5), opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.count).toBe(8);
    expect(ds.test.count).toBe(2); // one of five per class
    expect(Array.from(ds.test.labels).sort()).toEqual([0, 1]);
    for (let i = 0; i < ds.train.count; i++) expect(ds.train.images[i * 192]).toBe(ds.train.labels[i] === 0 ? 10 : 20);
  });

  // Found by a data hunt: one stream shuffled every class in turn, so an image added to one
  // class changed which images of the next were held out.
  it('holds out each class on its own: an image added to one class leaves the other\'s held-out images as they were', async () => {
    const folder = (nA: number) => [
      ...Array.from({ length: nA }, (_, i) => ({ path: `f/a/${i}.png`, bytes: img(10 + i) })),
      ...Array.from({ length: 10 }, (_, i) => ({ path: `f/b/${i}.png`, bytes: img(100 + i) })),
    ];
    const heldOutOfB = async (nA: number) => firstValues((await readOwnData(folder(nA), opts)).test).filter((v) => v >= 100).sort();
    const five = await heldOutOfB(5);
    expect(five).toHaveLength(2);
    for (const nA of [6, 7, 9]) expect(await heldOutOfB(nA), `${nA} images in a`).toEqual(five);
  });

  it('reads a zip of the same folders; hidden files and undecodable images are left out and named', async () => {
    const entries: Record<string, Uint8Array> = { '__MACOSX/x': new Uint8Array(3), 'pets/.DS_Store': new Uint8Array(2) };
    for (const f of folder(3)) entries[f.path] = f.bytes;
    entries['pets/dog/broken.png'] = new Uint8Array([1, 2, 3]);
    const ds = await readOwnData([{ path: 'pets.zip', bytes: zipSync(entries) }], opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.count + ds.test.count).toBe(6);
    expect(ds.skipped).toEqual(['pets/dog/broken.png']);
  });

  it('refuses a zip whose stored image changed on the way (its checksum says so), and names the image', async () => {
    const entries = Object.fromEntries(folder(3).map((f) => [f.path, f.bytes]));
    const zip = zipSync(entries, { level: 0 });
    // Stored, so the image's bytes are in the zip as they are: change the first one's value byte.
    const first = folder(3)[0];
    let at = -1;
    for (let i = 0; i + first.bytes.length <= zip.length && at < 0; i++) if (first.bytes.every((b, j) => zip[i + j] === b)) at = i;
    expect(at).toBeGreaterThan(0);
    const bad = zip.slice();
    bad[at + 3] ^= 0x40;
    await refused([{ path: 'pets.zip', bytes: bad }], /pets\.zip is damaged: pets\/cat\/\S+ does not match the checksum the zip records/);
    // The untouched zip reads.
    expect((await readOwnData([{ path: 'pets.zip', bytes: zip }], opts)).classNames).toEqual(['cat', 'dog']);
  });

  it('reads zips written with backslashes (PowerShell) or ./ entries (bsdtar) as the same folders', async () => {
    const plain = await readOwnData([{ path: 'pets.zip', bytes: zipSync(Object.fromEntries(folder(3).map((f) => [f.path, f.bytes]))) }], opts);
    for (const name of [(p: string) => p.replace(/\//g, '\\'), (p: string) => `./${p}`]) {
      const entries: Record<string, Uint8Array> = { [name('pets/')]: new Uint8Array(0) };
      for (const f of folder(3)) entries[name(f.path)] = f.bytes;
      const ds = await readOwnData([{ path: 'pets.zip', bytes: zipSync(entries) }], opts);
      expect(ds.classNames).toEqual(['cat', 'dog']);
      expect(Array.from(ds.train.labels)).toEqual(Array.from(plain.train.labels));
      expect(firstValues(ds.test)).toEqual(firstValues(plain.test));
    }
    // Hidden files stay hidden however the path is written.
    const hidden = zipSync({ 'pets\\cat\\.thumb.png': img(1), './pets/dog/.x.png': img(2), ...Object.fromEntries(folder(2).map((f) => [f.path, f.bytes])) });
    expect((await readOwnData([{ path: 'h.zip', bytes: hidden }], opts)).train.count + (await readOwnData([{ path: 'h.zip', bytes: hidden }], opts)).test.count).toBe(4);
  });

  it('takes .jfif, .pjpeg and .avif files as images', async () => {
    const files = [
      { path: 'pets/cat/1.jfif', bytes: img(10) },
      { path: 'pets/cat/2.pjpeg', bytes: img(10) },
      { path: 'pets/dog/1.avif', bytes: img(20) },
      { path: 'pets/dog/2.JPG', bytes: img(20) },
    ];
    const ds = await readOwnData(files, opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.count + ds.test.count).toBe(4);
  });

  it('an image loose beside train/ and test/ folders is named as loose, not blamed on the split', async () => {
    const files = [
      { path: 'ds/train/cat/1.png', bytes: img(1) },
      { path: 'ds/train/dog/1.png', bytes: img(2) },
      { path: 'ds/test/cat/3.png', bytes: img(3) },
      { path: 'ds/test/dog/2.png', bytes: img(4) },
    ];
    await refused([...files, { path: 'ds/preview.png', bytes: img(9) }], /^ds\/preview\.png is not in a class folder/);
    // Without it the split is read.
    const ds = await readOwnData(files, opts);
    expect(ds.source).toBe('own images (their train and test folders)');
  });

  it('refuses: nothing, one class, loose files, no images, nothing decodable, a broken zip, too many bytes or images', async () => {
    await refused([], /^the folder is empty: expected one sub-folder per class with images \(or a zip of the same, or CIFAR-10 .bin batches\)$/);
    await refused(folder(3).filter((f) => f.path.includes('cat')), /one class only \(cat\): the kNN monitor needs at least two class folders/);
    await refused([{ path: 'a.png', bytes: img(1) }, { path: 'b.png', bytes: img(2) }], /a.png is not in a class folder/);
    // The same inside the chosen folder (a browser's paths start with its name): the loose image is named, not "one class only (pets)".
    await refused([...folder(3), { path: 'pets/cover.png', bytes: img(9) }], /^pets\/cover\.png is not in a class folder/);
    // A chosen class folder alone is one class, as before.
    await refused([{ path: 'cats/1.png', bytes: img(1) }, { path: 'cats/2.png', bytes: img(2) }], /one class only \(cats\)/);
    await refused([{ path: 'x/a/readme.txt', bytes: new Uint8Array(4) }, { path: 'x/b/notes.txt', bytes: new Uint8Array(4) }], /no images found/);
    await refused([{ path: 'r/a/1.png', bytes: new Uint8Array(4) }, { path: 'r/b/1.png', bytes: new Uint8Array(4) }], /none of the 2 images could be decoded/);
    await refused([{ path: 'pets.zip', bytes: new Uint8Array([80, 75, 3, 4, 1, 2]) }], /pets.zip is not a readable zip/);
    await refused(folder(3), /0.0 MB of files; the most this app takes is 0.0 MB/, { maxBytes: 10 });
    await refused(folder(3), /6 images; the most this app takes is 4/, { maxImages: 4 });
    await refused([{ path: 'r/a/1.png', bytes: img(1) }, { path: 'r/b/1.png', bytes: img(2) }], /too few images to hold some out/);
  });

  it('a class whose every image fails to decode is dropped (later classes relabelled); refused when one class is left', async () => {
    const files = [...folder(3), { path: 'pets/cow/1.png', bytes: new Uint8Array([1]) }, { path: 'pets/cow/2.png', bytes: new Uint8Array([2]) }];
    const ds = await readOwnData(files, opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.skipped).toEqual(['pets/cow/1.png', 'pets/cow/2.png']);
    for (let i = 0; i < ds.train.count; i++) expect(ds.train.images[i * 192]).toBe(ds.train.labels[i] === 0 ? 10 : 20);
    await refused(
      [...folder(3).filter((f) => f.path.includes('dog')), { path: 'pets/cat/1.png', bytes: new Uint8Array([1]) }],
      /^only dog has images that could be decoded \(1 could not, e\.g\. pets\/cat\/1\.png\): the kNN monitor needs at least two class folders$/,
    );
  });

  it('refuses a selection of only folders and hidden files, saying what was expected', async () => {
    const expected = /nothing but folders or hidden files: expected one sub-folder per class with images \(or a zip of the same, or CIFAR-10 .bin batches\)/;
    const onlyDirs = zipSync({ 'pets/': new Uint8Array(0), 'pets/cat/': new Uint8Array(0), 'pets/dog/': new Uint8Array(0), 'pets/.DS_Store': new Uint8Array(2), '__MACOSX/pets/._x.png': new Uint8Array(3) });
    await refused([{ path: 'pets.zip', bytes: onlyDirs }], expected);
    await refused([{ path: 'pets.zip', bytes: onlyDirs }], /^pets.zip holds nothing/);
    await refused([{ path: 'pets/.DS_Store', bytes: new Uint8Array(2) }, { path: 'pets/cat/.hidden.png', bytes: img(1) }], /^the 2 files hold nothing/);
  });

  // Sides 8–4096 px, at most 4:1; ordinary odd sizes are resized.
  const twoClasses = (odd: Uint8Array, name = 'odd.png'): OwnFile[] => [
    ...folder(2),
    { path: `pets/cat/${name}`, bytes: odd },
  ];
  it.each([
    [7, 32, 'too small'],
    [32, 7, 'too small'],
    [4097, 2000, 'too large'],
    [1000, 5000, 'too large'],
    [100, 20, '5.0:1, too elongated'],
    [40, 161, '4.0:1, too elongated'], // 4.025:1, just over
  ])('refuses a %i×%i image (%s), naming the file and what was expected', async (w, h, why) => {
    const message = new RegExp(`^pets/cat/odd.png is ${w}×${h} px \\(${why.replace('.', '\\.')}\\): expected images 8–4096 px a side, at most 4:1; they are resized to 8×8$`);
    await refused(twoClasses(img(10, w, h)), message);
  });

  // A PNG's IHDR (big-endian width, height) and a GIF's logical screen (little-endian), by hand.
  const pngHeader = (w: number, h: number) =>
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255, h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, 8, 2, 0, 0, 0, 0, 0, 0, 0]);
  const bmpInfo = (w: number, h: number) => {
    const b = new Uint8Array(54);
    const v = new DataView(b.buffer);
    b.set([66, 77]);
    v.setUint32(2, 54, true);
    v.setUint32(10, 54, true);
    v.setUint32(14, 40, true);
    v.setInt32(18, w, true);
    v.setInt32(22, h, true);
    v.setUint16(26, 1, true);
    v.setUint16(28, 24, true);
    return b;
  };
  const gifHeader = (w: number, h: number) => new Uint8Array([71, 73, 70, 56, 57, 97, w & 255, w >> 8, h & 255, h >> 8, 0, 0, 0]);
  it.each([
    ['PNG', pngHeader(12000, 9000), 'odd.png', '12000×9000 px \\(too large\\)'],
    ['GIF', gifHeader(30, 200), 'odd.gif', '30×200 px \\(6\\.7:1, too elongated\\)'],
    ['BMP', bmpInfo(5000, 100), 'odd.bmp', '5000×100 px \\(too large\\)'],
  ])('refuses a %s whose header gives a refused size before decoding any image', async (_format, bytes, name, said) => {
    let decoded = 0;
    const counting: ImageDecoder = async (b, size) => {
      decoded++;
      return decode(b, size);
    };
    await expect(readOwnData(twoClasses(bytes, name), { ...opts, decode: counting })).rejects.toThrow(new RegExp(`^pets/cat/${name.replace('.', '\\.')} is ${said}: expected images 8–4096 px a side`));
    expect(decoded).toBe(0);
  });

  // An old 12-byte-header BMP (16-bit sizes; image-size reads them as 32-bit) and a TIFF (not
  // decoded by browsers) are left to the decode: listed as not decoded, not a refused load.
  const bmpCore = (w: number, h: number) => {
    const b = new Uint8Array(26 + 12);
    const v = new DataView(b.buffer);
    b.set([66, 77]);
    v.setUint32(2, b.length, true);
    v.setUint32(10, 26, true);
    v.setUint32(14, 12, true);
    v.setUint16(18, w, true);
    v.setUint16(20, h, true);
    v.setUint16(22, 1, true);
    v.setUint16(24, 24, true);
    return b;
  };
  const tiff = (w: number, h: number) => {
    const b = new Uint8Array(8 + 2 + 2 * 12 + 4);
    const v = new DataView(b.buffer);
    b.set([73, 73, 42, 0]);
    v.setUint32(4, 8, true);
    v.setUint16(8, 2, true);
    for (const [i, tag, value] of [[0, 256, w], [1, 257, h]]) {
      v.setUint16(10 + i * 12, tag, true);
      v.setUint16(12 + i * 12, 4, true);
      v.setUint32(14 + i * 12, 1, true);
      v.setUint32(18 + i * 12, value, true);
    }
    return b;
  };
  it.each([
    ['an old-header BMP', bmpCore(64, 64), 'old.bmp'],
    ['a large TIFF named .jpg', tiff(6000, 4000), 'scan.jpg'],
  ])('%s is left to the decode: listed as not decoded, the load goes on', async (_what, bytes, name) => {
    const ds = await readOwnData(twoClasses(bytes, name), opts);
    expect(ds.train.count + ds.test.count).toBe(4);
    expect(ds.skipped).toEqual([`pets/cat/${name}`]);
  });

  it.each([
    [30, 40],
    [100, 60],
    [8, 8],
    [4096, 1024],
    [8, 32],
  ])('takes a %i×%i image and resizes it', async (w, h) => {
    const ds = await readOwnData(twoClasses(img(10, w, h)), opts);
    expect(ds.train.count + ds.test.count).toBe(5);
    expect(ds.train.images.length).toBe(ds.train.count * 8 * 8 * 3);
  });
});

describe('own data: limits and layouts found by a review', () => {
  it('a zip that inflates past the byte limit is refused before it is inflated', async () => {
    // 3 MB of zeros deflate to a few KB: under the limit as a file, over it inflated.
    const bomb = zipSync({ 'pets/cat/1.png': new Uint8Array(3 * 1024 * 1024), 'pets/dog/2.png': img(2) });
    expect(bomb.length).toBeLessThan(64 * 1024);
    await refused([{ path: 'pets.zip', bytes: bomb }], /pets\.zip inflates to more than 2\.0 MB/, { maxBytes: 2 * 1024 * 1024 });
    // Loose files and a zip together: each under the limit, together over it once inflated.
    const loose = { path: 'pets/cat/big.png', bytes: new Uint8Array(1.5 * 1024 * 1024) };
    const zip = zipSync({ 'pets/dog/1.png': new Uint8Array(1024 * 1024) });
    expect(loose.bytes.length + zip.length).toBeLessThan(2 * 1024 * 1024);
    await refused([loose, { path: 'dogs.zip', bytes: zip }], /dogs\.zip inflates to more than 2\.0 MB with the other files/, { maxBytes: 2 * 1024 * 1024 });
  });

  it('more class folders than a label byte holds (256) are refused, not folded onto each other', async () => {
    const files = Array.from({ length: 257 }, (_, i) => ({ path: `many/c${i}/1.png`, bytes: img(i % 200) }));
    await refused(files, /257 class folders; the most this app takes is 256/);
  });

  it('a README beside the class folders does not make the root their class', async () => {
    const ds = await readOwnData(
      [
        { path: 'flowers/README.txt', bytes: new Uint8Array([1]) },
        { path: 'flowers/daisy/1.png', bytes: img(10) },
        { path: 'flowers/daisy/2.png', bytes: img(11) },
        { path: 'flowers/rose/3.png', bytes: img(20) },
        { path: 'flowers/rose/4.png', bytes: img(21) },
      ],
      opts,
    );
    expect(ds.classNames).toEqual(['daisy', 'rose']);
  });

  it('the same files in any order give the same split and the same images in the same order', async () => {
    // Each image a value of its own, so a different split or order shows in the pixels.
    const files: OwnFile[] = Array.from({ length: 24 }, (_, i) => ({ path: `pets/${i % 3 === 0 ? 'cat' : i % 3 === 1 ? 'dog' : 'owl'}/${i}.png`, bytes: img(i + 1) }));
    const a = await readOwnData(files, opts);
    let s = 7;
    for (let round = 0; round < 3; round++) {
      const shuffled = [...files];
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) >>> 0;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const b = await readOwnData(shuffled, opts);
      for (const k of ['train', 'test'] as const) {
        expect(Array.from(b[k].labels), `${k} labels, order ${round}`).toEqual(Array.from(a[k].labels));
        expect(firstValues(b[k]), `${k} images, order ${round}`).toEqual(firstValues(a[k]));
      }
    }
  });

  it('a train folder of one image is refused: a step of one image trains nothing (BatchNorm over one sample)', async () => {
    const files: OwnFile[] = [
      { path: 'ds/train/cat/1.png', bytes: img(11) },
      { path: 'ds/test/cat/2.png', bytes: img(12) },
      { path: 'ds/test/dog/3.png', bytes: img(21) },
      { path: 'ds/test/dog/4.png', bytes: img(22) },
    ];
    await refused(files, /only 1 training image: a step needs at least two/);
    // Two training images are enough.
    const ds = await readOwnData([...files, { path: 'ds/train/dog/5.png', bytes: img(23) }], opts);
    expect(ds.train.count).toBe(2);
  });

  it('a train/test level above the class folders is the split, and the classes are below it', async () => {
    for (const [trainName, testName] of [['train', 'test'], ['Train', 'val'], ['training', 'validation']]) {
      const files: OwnFile[] = [
        { path: `animals/${trainName}/cat/1.png`, bytes: img(11) },
        { path: `animals/${trainName}/cat/2.png`, bytes: img(12) },
        { path: `animals/${trainName}/dog/3.png`, bytes: img(21) },
        { path: `animals/${trainName}/dog/4.png`, bytes: img(22) },
        { path: `animals/${trainName}/dog/5.png`, bytes: img(23) },
        { path: `animals/${testName}/cat/6.png`, bytes: img(16) },
        { path: `animals/${testName}/dog/7.png`, bytes: img(27) },
      ];
      const ds = await readOwnData(files, opts);
      expect(ds.classNames, testName).toEqual(['cat', 'dog']);
      expect([ds.train.count, ds.test.count], testName).toEqual([5, 2]);
      // Held-out images are exactly those under the test folder, with their class.
      expect(firstValues(ds.test)).toEqual([16, 27]);
      expect(Array.from(ds.test.labels)).toEqual([0, 1]);
      expect(firstValues(ds.train)).toEqual([11, 12, 21, 22, 23]);
      expect(Array.from(ds.train.labels)).toEqual([0, 0, 1, 1, 1]);
    }
    // Nothing under test/ decodes: refused, saying which folder.
    await refused(
      [
        { path: 'a/train/cat/1.png', bytes: img(1) },
        { path: 'a/train/dog/2.png', bytes: img(2) },
        { path: 'a/test/cat/3.png', bytes: new Uint8Array([1, 2, 3]) },
        { path: 'a/test/dog/4.png', bytes: new Uint8Array([1, 2, 3]) },
      ],
      /no image in the test folder could be decoded \(2 could not, e\.g\. a\/test\/cat\/3\.png\)/,
    );
    // A folder all classes share below the split is skipped there too.
    const nested = await readOwnData(
      [
        { path: 'ds/train/images/cat/1.png', bytes: img(11) },
        { path: 'ds/train/images/dog/2.png', bytes: img(21) },
        { path: 'ds/test/images/cat/3.png', bytes: img(13) },
        { path: 'ds/test/images/dog/4.png', bytes: img(24) },
      ],
      opts,
    );
    expect(nested.classNames).toEqual(['cat', 'dog']);
    expect(firstValues(nested.test)).toEqual([13, 24]);
    // A folder named train with no test beside it is a class like any other.
    const classes = await readOwnData(
      [
        { path: 'x/train/1.png', bytes: img(1) },
        { path: 'x/train/2.png', bytes: img(2) },
        { path: 'x/bus/3.png', bytes: img(3) },
        { path: 'x/bus/4.png', bytes: img(4) },
      ],
      opts,
    );
    expect(classes.classNames).toEqual(['bus', 'train']);
  });

  it('split folders as datasets name them (training/testing, Kaggle’s training_set/training_set) are read as the split', async () => {
    const layouts: [string, string][] = [['mnist_png/training', 'mnist_png/testing'], ['dataset/training_set/training_set', 'dataset/test_set/test_set'], ['d/train_data', 'd/test_data']];
    for (const [train, test] of layouts) {
      const ds = await readOwnData(
        [
          { path: `${train}/0/1.png`, bytes: img(11) },
          { path: `${train}/0/2.png`, bytes: img(12) },
          { path: `${train}/1/3.png`, bytes: img(21) },
          { path: `${test}/0/4.png`, bytes: img(14) },
          { path: `${test}/1/5.png`, bytes: img(25) },
        ],
        opts,
      );
      expect(ds.classNames, train).toEqual(['0', '1']);
      expect(firstValues(ds.test), train).toEqual([14, 25]);
      expect(firstValues(ds.train), train).toEqual([11, 12, 21]);
    }
  });

  it('refuses a split-like folder holding class folders when the split cannot be read (a loose test/ beside train/cat)', async () => {
    await refused(
      [
        { path: 'ds/train/cat/1.png', bytes: img(1) },
        { path: 'ds/train/dog/2.png', bytes: img(2) },
        { path: 'ds/test/3.png', bytes: img(3) },
        { path: 'ds/test/4.png', bytes: img(4) },
      ],
      /ds\/train\/ holds class folders, as a split does, but its split level cannot be read/,
    );
    // A class that holds sub-folders, with no test folder beside it, is a class as before.
    const nested = await readOwnData(
      [
        { path: 'vehicles/train/front/1.png', bytes: img(1) },
        { path: 'vehicles/train/side/2.png', bytes: img(2) },
        { path: 'vehicles/bus/front/3.png', bytes: img(3) },
        { path: 'vehicles/bus/side/4.png', bytes: img(4) },
      ],
      opts,
    );
    expect(nested.classNames).toEqual(['bus', 'train']);
  });

  it('classes spelled differently under train and test are named as in one split only', async () => {
    const ds = await readOwnData(
      [
        { path: 'pets/train/Cat/1.png', bytes: img(11) },
        { path: 'pets/train/dog/2.png', bytes: img(21) },
        { path: 'pets/train/fox/3.png', bytes: img(31) },
        { path: 'pets/test/cat/4.png', bytes: img(12) },
        { path: 'pets/test/dog/5.png', bytes: img(22) },
      ],
      opts,
    );
    // Four classes by folder name: 'Cat' and 'cat' differ, so each is in one split.
    expect(ds.classNames).toEqual(['Cat', 'cat', 'dog', 'fox']);
    expect(classesInOneSplit(ds)).toEqual({ trainOnly: ['Cat', 'fox'], testOnly: ['cat'] });
    // Matching folders: nothing to say; neither is there for a held-out fifth of each class.
    const matched = await readOwnData(
      [
        { path: 'p/train/cat/1.png', bytes: img(1) },
        { path: 'p/train/dog/2.png', bytes: img(2) },
        { path: 'p/test/cat/3.png', bytes: img(3) },
        { path: 'p/test/dog/4.png', bytes: img(4) },
      ],
      opts,
    );
    expect(classesInOneSplit(matched)).toEqual({ trainOnly: [], testOnly: [] });
    const heldOut = await readOwnData(
      Array.from({ length: 10 }, (_, i) => ({ path: `q/${i < 5 ? 'cat' : 'dog'}/${i}.png`, bytes: img(i) })),
      opts,
    );
    expect(classesInOneSplit(heldOut)).toEqual({ trainOnly: [], testOnly: [] });
  });
});
