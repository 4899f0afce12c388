// Own images at another side: decoded anew from the kept files (exactly a load at that
// side), or, restored without files, shrunk by block means and refused when enlarging.
import { describe, expect, it } from 'vitest';
import { OwnDataError, readOwnData, type ImageDecoder } from '../../../src/engine/data';
import { OwnImages } from '../../../src/worker/ownImages';

/** Stand-in decoder: 'IMG' + value; the image is size×size of constant 2×2 blocks alternating value and 0 (so halving it gives the blocks back). */
const sides: number[] = [];
const decode: ImageDecoder = async (bytes, size) => {
  sides.push(size);
  if (!(bytes[0] === 73 && bytes[1] === 77 && bytes[2] === 71)) return null;
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (((y >> 1) + (x >> 1)) % 2 === 0) rgb.fill(bytes[3], (y * size + x) * 3, (y * size + x) * 3 + 3);
  return { width: 40, height: 40, rgb };
};
const files = ['a', 'b'].flatMap((cls, c) => [0, 1, 2].map((i) => ({ path: `set/${cls}/${i}.png`, bytes: Uint8Array.of(73, 77, 71, 40 * (c + 1) + 4 * i) })));

describe('own images at the run’s image size', () => {
  it('with the files kept, another side is the same as loading the files at that side', async () => {
    const at8 = await readOwnData(files, { decode, size: 8, seed: 1 });
    const own = new OwnImages(1, at8, files);
    expect(await own.at(8, decode)).toBe(at8); // unchanged: the very object (the autosave is not rewritten)
    sides.length = 0;
    const at16 = await own.at(16, decode);
    expect(sides.every((s) => s === 16) && sides.length === files.length).toBe(true);
    expect(at16).toEqual(await readOwnData(files, { decode, size: 16, seed: 1 }));
    // By hand, from the stand-in decoder: 16×16, every file's image present once, each with
    // its file's value at pixel (0, 0) and 0 at (0, 2) (the next 2×2 block).
    expect([at16.height, at16.width, at16.train.count + at16.test.count]).toEqual([16, 16, files.length]);
    const firsts: number[] = [];
    for (const split of [at16.train, at16.test]) {
      expect(split.images.length).toBe(split.count * 16 * 16 * 3);
      for (let n = 0; n < split.count; n++) {
        firsts.push(split.images[n * 16 * 16 * 3]);
        expect(split.images[(n * 16 * 16 + 2) * 3]).toBe(0);
      }
    }
    expect(firsts.sort((a, b) => a - b)).toEqual([40, 44, 48, 80, 84, 88]);
    expect(await own.at(16, decode)).toBe(at16); // cached
  });

  it('restored without files: a smaller side is the 2×2 block means; a larger one is refused, saying what to do', async () => {
    const at8 = await readOwnData(files, { decode, size: 8, seed: 1 });
    const own = new OwnImages(2, at8);
    const at4 = await own.at(4, decode);
    expect([at4.height, at4.width, at4.train.count, at4.test.count]).toEqual([4, 4, at8.train.count, at8.test.count]);
    // Each 2×2 block of the 8-px image is constant, so the 4-px image is the 8-px image sampled at even rows and columns.
    for (const [small, big] of [[at4.train, at8.train], [at4.test, at8.test]] as const)
      for (let n = 0; n < small.count; n++)
        for (let y = 0; y < 4; y++)
          for (let x = 0; x < 4; x++) expect(small.images[((n * 4 + y) * 4 + x) * 3]).toBe(big.images[((n * 8 + 2 * y) * 8 + 2 * x) * 3]);
    expect(Array.from(at4.train.labels)).toEqual(Array.from(at8.train.labels));
    await expect(own.at(16, decode)).rejects.toBeInstanceOf(OwnDataError);
    await expect(own.at(16, decode)).rejects.toThrow(/kept at 8×8 px.*load the files again in the Data panel, or set the image size to 8 or less/);
    expect(own.loaded).toBe(at8);
  });

  // From a review: a resume refused after its images were decoded at its size left that size
  // cached in place of the live run's (up to ~245 MB, and the live run's size decoded again).
  it('rememberSizes puts the cached sizes back: the live run\'s size is the same data again, not decoded anew', async () => {
    const at8 = await readOwnData(files, { decode, size: 8, seed: 1 });
    const own = new OwnImages(3, at8, files);
    const at16 = await own.at(16, decode);
    const undo = own.rememberSizes();
    await own.at(12, decode); // a restore's size: drops 16 from the cache
    undo();
    sides.length = 0;
    expect(await own.at(16, decode)).toBe(at16);
    expect(sides).toEqual([]);
  });
});

