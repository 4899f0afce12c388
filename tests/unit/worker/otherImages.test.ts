// A saved own-images run whose images were not kept with it (they did not fit in storage, or
// another tab's save replaced them) resumed on whatever images were loaded then, without a
// word (a saved-runs hunt). Its save now carries a print of what it trained on; others refuse.
// Each image is compared by its mean per channel within 2 levels (the same files decoded by
// another canvas may round a few pixels otherwise; a review found one mean over a whole split
// let other images through); classes, sizes and labels exactly.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import type { Dataset } from '../../../src/engine/data';
import { datasetPrint, type DatasetPrint } from '../../../src/engine/data/datasetPrint';
import { fnv1a } from '../../../src/engine/data/fnv1a';
import { otherImages, type SavedRunMeta } from '../../../src/worker/savedRun';

/** Train images of 2×2 RGB with the given values (one value an image), one test image of 3s. */
const ds = (values: number[], labels = values.map((_, i) => i % 2), names = ['cats', 'dogs']): Dataset => ({
  name: 'own',
  height: 2,
  width: 2,
  channels: 3,
  classNames: names,
  train: { images: Uint8Array.from(values.flatMap((v) => Array(12).fill(v))), labels: Uint8Array.from(labels), count: values.length },
  test: { images: new Uint8Array(12).fill(3), labels: Uint8Array.from([1]), count: 1 },
});
const meta = (imagesPrint?: unknown): SavedRunMeta => ({ step: 5, total: 10, savedAt: 't', backend: 'cpu', config: buildConfig({ tiny: true }), imagesPrint: imagesPrint as DatasetPrint });
const saved = meta(datasetPrint(ds([100, 150, 200, 50])));

describe('otherImages', () => {
  it('the same images resume, also with pixels rounded otherwise (another canvas)', () => {
    expect(otherImages(saved, ds([100, 150, 200, 50]))).toBeUndefined();
    const rounded = ds([100, 150, 200, 50]);
    rounded.train.images[0] = 104; // one pixel 4 levels off: its image's red mean moves by 1
    expect(otherImages(saved, rounded)).toBeUndefined();
  });

  it('refused, saying what differs: other images, two images swapped, a label, a class name, a count', () => {
    const cases: [Dataset, string][] = [
      [ds([100, 150, 200, 60]), '1 of 5 images differ'],
      // The same images in another order (a file moved from one class folder to another): the split means would agree.
      [ds([200, 150, 100, 50]), '2 of 5 images differ'],
      [ds([100, 150, 200, 50], [0, 1, 1, 1]), 'the same counts, but other images in each class'],
      [ds([100, 150, 200, 50], undefined, ['cats', 'wolves']), 'classes cats, dogs against cats, wolves'],
      [ds([100, 150, 200]), '4 + 1 images against 3 + 1'],
    ];
    for (const [other, why] of cases) expect(otherImages(saved, other)).toBe(`this run trained on other images than the ones loaded now (${why}): load the files it trained on in the Data panel, then resume again`);
  });

  it('a save from before prints were kept, or a damaged one, is taken as it was', () => {
    expect(otherImages(meta(undefined), ds([1]))).toBeUndefined();
    expect(otherImages(meta('#1234abcd'), ds([1]))).toBeUndefined();
  });

  it('FNV-1a by hand for one byte, and the print\'s parts', () => {
    // FNV-1a 32 of the single byte 0x61 ('a') is 0xe40c292c.
    expect(fnv1a([Uint8Array.from([0x61])])).toBe('e40c292c');
    const p = datasetPrint(ds([100, 7]));
    expect(p.labels).toBe(fnv1a([Uint8Array.from([0, 1]), Uint8Array.from([1])]));
    expect(Array.from(p.means)).toEqual([100, 100, 100, 7, 7, 7, 3, 3, 3]);
    expect([p.classes, p.train, p.test, p.size]).toEqual([['cats', 'dogs'], 2, 1, 2]);
  });
});
