// A saved own-images run whose images were not kept with it (they did not fit in storage, or
// another tab's save replaced them) resumed on whatever images were loaded then, without a
// word (a saved-runs hunt). Its save now carries a print of what it trained on; others refuse.
// The pixels are compared by their mean within a level (the docs audit: the same files decoded
// by another canvas may round a few pixels otherwise); classes, sizes and labels exactly.
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/engine/config';
import type { Dataset } from '../../../src/engine/data';
import { datasetPrint, type DatasetPrint } from '../../../src/engine/data/datasetPrint';
import { fnv1a } from '../../../src/engine/data/fnv1a';
import { otherImages, type SavedRunMeta } from '../../../src/worker/savedRun';

/** 2 train images and 1 test image of 2×2 RGB; train pixels all `v` but one at `odd`. */
const ds = (v: number, odd = v, label = 0, names = ['cats', 'dogs']): Dataset => ({
  name: 'own',
  height: 2,
  width: 2,
  channels: 3,
  classNames: names,
  train: { images: new Uint8Array(24).fill(v).fill(odd, 5, 6), labels: Uint8Array.from([label, 1]), count: 2 },
  test: { images: new Uint8Array(12).fill(3), labels: Uint8Array.from([1]), count: 1 },
});
const meta = (imagesPrint?: unknown): SavedRunMeta => ({ step: 5, total: 10, savedAt: 't', backend: 'cpu', config: buildConfig({ tiny: true }), imagesPrint: imagesPrint as DatasetPrint });

describe('otherImages', () => {
  it('the same images resume, also with a pixel rounded otherwise (another canvas)', () => {
    expect(otherImages(meta(datasetPrint(ds(100))), ds(100))).toBeUndefined();
    expect(otherImages(meta(datasetPrint(ds(100))), ds(100, 101))).toBeUndefined();
  });

  it('other pixels (mean more than a level off), a label or a class name different: refused, saying what each is', () => {
    const saved = meta(datasetPrint(ds(100)));
    for (const other of [ds(102), ds(100, 100, 1), ds(100, 100, 0, ['cats', 'wolves'])]) {
      expect(otherImages(saved, other)).toMatch(
        /^this run trained on other images than the ones loaded now \(it trained on 2 classes \(cats, dogs\), 2 \+ 1 images at 2 px, mean pixel 100\.0 \/ 3\.0, labels #[0-9a-f]{8}; loaded now: .*\): load the files it trained on in the Data panel, then resume again$/,
      );
    }
  });

  it('a save from before prints were kept, or a damaged one, is taken as it was', () => {
    expect(otherImages(meta(undefined), ds(200))).toBeUndefined();
    expect(otherImages(meta('#1234abcd'), ds(200))).toBeUndefined();
  });

  it('FNV-1a by hand for one byte, and the print\'s parts', () => {
    // FNV-1a 32 of the single byte 0x61 ('a') is 0xe40c292c.
    expect(fnv1a([Uint8Array.from([0x61])])).toBe('e40c292c');
    const p = datasetPrint(ds(100, 112));
    // Train mean: 23 values of 100 and one of 112 over 24.
    expect(p).toEqual({ classes: ['cats', 'dogs'], train: 2, test: 1, size: 2, labels: fnv1a([Uint8Array.from([0, 1]), Uint8Array.from([1])]), mean: [100.5, 3] });
  });
});
