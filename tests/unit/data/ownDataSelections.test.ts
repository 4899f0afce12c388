// Selections that read as data but were not what the person meant (found by a data hunt, the
// rules narrowed by a review): a zip beside the folder it was made from (every image twice, a
// copy held out beside its twin), train.zip and test.zip given together (their split lost),
// and images in a format browsers do not decode (a class of .heic photos vanished from the
// classes without a word).
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readOwnData, type ImageDecoder, type OwnFile } from '../../../src/engine/data/ownData';

/** Stand-in decoder as in ownData.test.ts: 'IMG', a value, 32×32; decodes to a field of that value. */
const decode: ImageDecoder = async (bytes, size) => (bytes[0] === 73 && bytes[1] === 77 && bytes[2] === 71 ? { width: 32, height: 32, rgb: new Uint8Array(size * size * 3).fill(bytes[3]) } : null);
const img = (v: number) => new Uint8Array([73, 77, 71, v]);
const opts = { decode, size: 4, seed: 1 };
const zipOf = (files: OwnFile[], strip = '') => zipSync(Object.fromEntries(files.map((f) => [f.path.slice(strip.length), f.bytes])));
const classes = (root: string, n: number, names = ['cat', 'dog']): OwnFile[] => names.flatMap((c, k) => Array.from({ length: n }, (_, i) => ({ path: `${root}${c}/${i}.png`, bytes: img(10 * k + i) })));

describe('own data selections', () => {
  it('a zip beside the loose images it was made from is refused, naming a twin', async () => {
    const folder = classes('Downloads/pets/', 4);
    const zip = { path: 'Downloads/pets.zip', bytes: zipOf(folder, 'Downloads/') };
    await expect(readOwnData([...folder, zip], opts)).rejects.toThrow('a zip holds images that are also given loose (pets/cat/0.png is Downloads/pets/cat/0.png): give the folder of images or its zip, not both');
    // Either alone reads, as the same two classes of 8 images.
    for (const sel of [folder, [zip]]) {
      const ds = await readOwnData(sel, opts);
      expect(ds.classNames).toEqual(['cat', 'dog']);
      expect(ds.train.count + ds.test.count).toBe(8);
    }
  });

  // From a review: the first rule refused any zip beside any loose image.
  it('a zip of other things (no image of the folder in it) beside the class folders is no reason to refuse', async () => {
    const folder = classes('pets/', 4);
    const notes = { path: 'pets/annotations.zip', bytes: zipSync({ 'labels.json': new Uint8Array([123, 125]) }) };
    const ds = await readOwnData([...folder, notes], opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.count + ds.test.count).toBe(8);
  });

  it('train.zip and test.zip together keep their split (each zip a folder of its name)', async () => {
    const train = { path: 'train.zip', bytes: zipOf(classes('', 5)) };
    const test = { path: 'test.zip', bytes: zipOf(classes('', 2)) };
    const ds = await readOwnData([train, test], opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.source).toBe('own images (their train and test folders)');
    expect([ds.train.count, ds.test.count]).toEqual([10, 4]);
  });

  // From a review: zips of the same class folders (part1.zip, part2.zip) must merge, not
  // become classes named after the zips.
  it('zips holding the same class folders merge into those classes; the same file in both is refused as given twice', async () => {
    const part = (from: number) => zipSync(Object.fromEntries(['cat', 'dog'].flatMap((c, k) => [0, 1, 2].map((i) => [`${c}/${from + i}.png`, img(10 * k + from + i)]))));
    const ds = await readOwnData([{ path: 'part1.zip', bytes: part(0) }, { path: 'part2.zip', bytes: part(3) }], opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.count + ds.test.count).toBe(12);
    await expect(readOwnData([{ path: 'a.zip', bytes: part(0) }, { path: 'b.zip', bytes: part(0) }], opts)).rejects.toThrow('cat/0.png is given twice');
  });

  it('zips of loose images, one a class (cats.zip, dogs.zip), are those classes', async () => {
    const loose = (v: number) => zipSync(Object.fromEntries([0, 1, 2].map((i) => [`${i}.jpg`, img(v + i)])));
    const ds = await readOwnData([{ path: 'cats.zip', bytes: loose(10) }, { path: 'dogs.zip', bytes: loose(20) }], opts);
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.train.count + ds.test.count).toBe(6);
  });

  it('the same path twice is refused', async () => {
    const f = classes('pets/', 3);
    await expect(readOwnData([...f, f[0]], opts)).rejects.toThrow('pets/cat/0.png is given twice');
  });

  it('a folder of .heic photos only is no class but is listed as left out; with one class left, the refusal names it', async () => {
    const files = [...classes('pets/', 3, ['dog', 'bird']), ...Array.from({ length: 3 }, (_, i) => ({ path: `pets/cat/${i}.HEIC`, bytes: img(99) }))];
    const ds = await readOwnData(files, opts);
    expect(ds.classNames).toEqual(['bird', 'dog']);
    expect(ds.skipped).toEqual(['pets/cat/0.HEIC', 'pets/cat/1.HEIC', 'pets/cat/2.HEIC']);
    await expect(readOwnData(files.filter((f) => !f.path.includes('bird')), opts)).rejects.toThrow('one class only (dog): the kNN monitor needs at least two class folders; pets/cat/ holds only images this app does not read (e.g. pets/cat/0.HEIC; .heic images are not read by browsers: convert them to .jpg or .png, if it is a class)');
  });

  it('.tif files in a class with readable images are left out and listed; other files (a README) are not listed', async () => {
    // From a review: a folder beside the classes holding only a figure (.tif) was refused as a class.
    const files = [...classes('pets/', 3), { path: 'pets/dog/scan.tif', bytes: img(5) }, { path: 'pets/cat/notes.txt', bytes: img(6) }, { path: 'pets/README.md', bytes: img(7) }, { path: 'pets/docs/figure.tif', bytes: img(8) }];
    const ds = await readOwnData(files, opts);
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.train.count + ds.test.count).toBe(6);
    expect(ds.skipped).toEqual(['pets/dog/scan.tif', 'pets/docs/figure.tif']);
  });

  it('nothing readable but .heic: the refusal says why', async () => {
    await expect(readOwnData([{ path: 'p/cat/1.heic', bytes: img(1) }, { path: 'p/dog/1.heic', bytes: img(2) }], opts)).rejects.toThrow(/no images found .* e\.g\. p\/cat\/1\.heic \(\.heic images are not read by browsers: convert them to \.jpg or \.png\)/);
  });

  // From the docs audit: the left-out files stood first in the list the refusals quote.
  it('nothing decodable: the refusal names an image that failed to decode, not a format left out', async () => {
    const broken = (path: string) => ({ path, bytes: new Uint8Array([1, 2, 3]) });
    const files = [{ path: 'p/a/0.heic', bytes: img(1) }, broken('p/a/1.png'), broken('p/b/1.png')];
    await expect(readOwnData(files, opts)).rejects.toThrow('none of the 2 images could be decoded (e.g. p/a/1.png)');
  });

  // From a review of the late changes: one stray image beside a zip's class folders made the
  // whole zip a class; one shared photo refused a legitimate train.zip + test/ selection.
  it('a zip with class folders and one stray image at its top is not a class: the stray is refused as anywhere', async () => {
    const part = (from: number, stray: boolean) => zipSync({ ...Object.fromEntries(['cats', 'dogs'].flatMap((c, k) => [0, 1, 2].map((i) => [`${c}/${from + i}.png`, img(10 * k + from + i)]))), ...(stray ? { 'cover.jpg': img(99) } : {}) });
    await expect(readOwnData([{ path: 'part1.zip', bytes: part(0, false) }, { path: 'part2.zip', bytes: part(3, true) }], opts)).rejects.toThrow('cover.jpg is not in a class folder');
  });

  it('one photo in both a zip and a loose folder (the same bytes, another path) is taken; half the zip twinned is refused', async () => {
    const train = classes('', 4);
    const test = classes('test/', 1).map((f, i) => (i === 0 ? { ...f, bytes: train[2].bytes } : f));
    const ds = await readOwnData([{ path: 'train.zip', bytes: zipOf(train) }, ...test], opts);
    expect([ds.train.count, ds.test.count]).toEqual([8, 2]);
    // The zip's images given loose again under another folder name: every one has a twin.
    const renamed = train.map((f) => ({ ...f, path: `copy/${f.path}` }));
    await expect(readOwnData([{ path: 'pets.zip', bytes: zipOf(train) }, ...renamed], opts)).rejects.toThrow(/^a zip holds images that are also given loose/);
  });

  // From a review of the late commits: the Finder's __MACOSX/._1.jpg entries (in a folder)
  // counted as images not loose at the top, so such class zips lost their names.
  it('zips of loose images made by the Finder (with __MACOSX copies) are still those classes', async () => {
    const finder = (v: number) => zipSync(Object.fromEntries([0, 1, 2].flatMap((i) => [[`${i}.jpg`, img(v + i)], [`__MACOSX/._${i}.jpg`, new Uint8Array([0, 5, 22, 7])]])));
    const ds = await readOwnData([{ path: 'cats.zip', bytes: finder(10) }, { path: 'dogs.zip', bytes: finder(20) }], opts);
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.train.count + ds.test.count).toBe(6);
  });

  it('the half-twinned rule counts per zip: a small zip of copies beside a large one of its own is refused', async () => {
    const big = classes('', 5);
    // Bytes of their own (classes() gives every set the same values): no twin of big.zip's.
    const loose = classes('photos/', 2, ['x', 'y']).map((f, i) => ({ ...f, bytes: img(100 + i) }));
    // copies.zip: the loose images again, under other names (no path match), every one a twin.
    const copies = zipSync(Object.fromEntries(loose.map((f, i) => [`x/copy${i}.png`, f.bytes])));
    await expect(readOwnData([{ path: 'big.zip', bytes: zipOf(big) }, { path: 'copies.zip', bytes: copies }, ...loose], opts)).rejects.toThrow(/^a zip holds images that are also given loose/);
  });
});

