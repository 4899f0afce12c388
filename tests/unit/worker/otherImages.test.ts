// A saved own-images run whose images were not kept with it (they did not fit in storage, or
// another tab's save replaced them) resumed on whatever images were loaded then, without a
// word (a saved-runs hunt). Its save now carries a print of what it trained on; others refuse.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import type { Dataset } from '../../../src/engine/data';
import { datasetPrint } from '../../../src/engine/data/datasetPrint';
import { otherImages, type SavedRunMeta } from '../../../src/worker/savedRun';

const ds = (pixel: number, label = 0, names = ['cats', 'dogs']): Dataset => ({
  name: 'own',
  height: 2,
  width: 2,
  channels: 3,
  classNames: names,
  train: { images: new Uint8Array(2 * 12).fill(7).fill(pixel, 5, 6), labels: Uint8Array.from([label, 1]), count: 2 },
  test: { images: new Uint8Array(12).fill(3), labels: Uint8Array.from([1]), count: 1 },
});
const meta = (imagesPrint?: string): SavedRunMeta => ({ step: 5, total: 10, savedAt: 't', backend: 'cpu', config: buildConfig({ tiny: true }), imagesPrint });

describe('otherImages', () => {
  it('the same images (another copy of the same bytes) resume', () => {
    expect(otherImages(meta(datasetPrint(ds(9))), ds(9))).toBeUndefined();
  });

  it('one pixel, one label or one class name different: refused, saying what each is', () => {
    const saved = meta(datasetPrint(ds(9)));
    for (const other of [ds(10), ds(9, 1), ds(9, 0, ['cats', 'wolves'])]) {
      const why = otherImages(saved, other);
      expect(why).toMatch(/^this run trained on other images than the ones loaded now \(it trained on 2 classes \(cats, dogs\), 2 \+ 1 images at 2 px, #[0-9a-f]{8}; loaded now: .*\): load the files it trained on in the Data panel, then resume again$/);
    }
  });

  it('a save from before prints were kept is taken as it was', () => {
    expect(otherImages(meta(undefined), ds(10))).toBeUndefined();
  });

  it('the print: FNV-1a of the bytes, by hand for one byte', () => {
    // FNV-1a 32 of the single byte 0x61 ('a') is 0xe40c292c.
    const one: Dataset = { ...ds(0), classNames: ['a', 'b'], train: { images: Uint8Array.from([0x61]), labels: new Uint8Array(0), count: 1 }, test: { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 } };
    expect(datasetPrint(one)).toMatch(/#e40c292c$/);
  });
});
