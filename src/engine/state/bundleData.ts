// A run on your own images carries them in run.zip, so an import continues it in a page
// that never saw the files (the autosave keeps them the same way, in IndexedDB): data.json
// (what the images are) and data.bin (train images, train labels, test images, test labels,
// back to back, one byte a value), as decoded at the run's image size. Reading checks every
// size and label against data.json and says what was expected.
import { z } from 'zod';
import { MAX_SOURCE_LENGTH, OWN_DATA_LIMITS } from '../data/ownData';
import type { Dataset } from '../data/types';
import { MAX_IMAGE_SIDE } from '../data/imageSide';

export const DATA_JSON = 'data.json';
export const DATA_BIN = 'data.bin';
const FORMAT = 'sparsecl-own-images';

/** Largest data.bin accepted: the most images own data takes, RGB at the largest image side the model takes. */
export const MAX_DATA_BYTES = OWN_DATA_LIMITS.maxImages * (MAX_IMAGE_SIDE * MAX_IMAGE_SIDE * 3 + 1);

const DataJsonSchema = z.object({
  format: z.literal(FORMAT),
  source: z.string().max(MAX_SOURCE_LENGTH).optional(),
  height: z.number().int().min(1).max(MAX_IMAGE_SIDE),
  width: z.number().int().min(1).max(MAX_IMAGE_SIDE),
  channels: z.union([z.literal(1), z.literal(3)]),
  // Class names are folder names (up to 255 bytes on common file systems).
  classNames: z.array(z.string().max(1000)).min(2).max(1000),
  trainCount: z.number().int().min(1),
  testCount: z.number().int().min(1),
});

/** data.json and data.bin of own images. */
export function encodeOwnData(d: Dataset): { json: string; bin: Uint8Array } {
  const meta: z.infer<typeof DataJsonSchema> = {
    format: FORMAT, source: d.source, height: d.height, width: d.width, channels: d.channels,
    classNames: d.classNames, trainCount: d.train.count, testCount: d.test.count,
  };
  const parts = [d.train.images, d.train.labels, d.test.images, d.test.labels];
  const bin = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bin.set(p, at);
    at += p.length;
  }
  return { json: JSON.stringify(meta), bin };
}

/**
 * The own images of data.json + data.bin (views of `bin`, not copies: the worker trains on
 * them as they are); throws with what was expected when they do not agree, or when
 * `side` is given and the images are not side×side RGB (what a run at that image size
 * trains on, and so what its export holds).
 */
export function decodeOwnData(json: string, bin: Uint8Array, side?: number): Dataset {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error(`${DATA_JSON} is not JSON`);
  }
  const parsed = DataJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${DATA_JSON}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  const m = parsed.data;
  if (side !== undefined && (m.height !== side || m.width !== side || m.channels !== 3)) {
    throw new Error(`${DATA_JSON} holds ${m.height}×${m.width}×${m.channels} images; this run trains on ${side}×${side} RGB (its image size)`);
  }
  const count = m.trainCount + m.testCount;
  if (count > OWN_DATA_LIMITS.maxImages) throw new Error(`${DATA_JSON} lists ${count} images, more than own data takes (${OWN_DATA_LIMITS.maxImages})`);
  const per = m.height * m.width * m.channels;
  const expected = count * (per + 1);
  if (bin.length !== expected) {
    throw new Error(`${DATA_BIN} has ${bin.length} bytes; ${DATA_JSON} (${m.trainCount} + ${m.testCount} images of ${m.height}×${m.width}×${m.channels}, one label byte each) needs ${expected}`);
  }
  const take = (from: number, n: number) => bin.subarray(from, from + n);
  const trainImages = take(0, m.trainCount * per);
  const trainLabels = take(m.trainCount * per, m.trainCount);
  const testImages = take(m.trainCount * (per + 1), m.testCount * per);
  const testLabels = take(m.trainCount * (per + 1) + m.testCount * per, m.testCount);
  for (const labels of [trainLabels, testLabels]) {
    const bad = labels.find((l) => l >= m.classNames.length);
    if (bad !== undefined) throw new Error(`${DATA_BIN} has label ${bad}, but ${DATA_JSON} names ${m.classNames.length} classes`);
  }
  return {
    name: 'own', source: m.source, height: m.height, width: m.width, channels: m.channels, classNames: m.classNames,
    train: { images: trainImages, labels: trainLabels, count: m.trainCount },
    test: { images: testImages, labels: testLabels, count: m.testCount },
  };
}
