// A person's own images as a dataset: a folder with one sub-folder per class (labels
// are used by the kNN monitor only), a zip of the same, or CIFAR-10 binary batches
// (data_batch_*.bin, test_batch.bin: records of 1 label byte + 3072 pixel bytes, each
// channel a 32×32 plane). Images are resized to the model's input size; a held-out split
// is made for the kNN monitor. Anything else is refused with what was expected, odd
// image sizes included (a sliver or a huge image would be distorted or cost a lot to
// decode for a 32-pixel input). Pure: image decoding is injected (the worker decodes with
// createImageBitmap, tests with a stand-in), so this runs in the worker and in Node.
import { unzipSync } from 'fflate';
import { imageSize } from 'image-size';
import { damagedEntry } from '../state/zipChecksums';
import { Rng } from '../random';
import { areaShrink } from './areaResize';
import { fnv1a } from './fnv1a';
import { pickImages, type Dataset, type ImageSplit } from './types';

export interface OwnFile {
  /** Path as the browser gives it: 'flowers/daisy/1.jpg' for a folder, 'data_batch_1.bin', 'photos.zip'. */
  path: string;
  bytes: Uint8Array;
}

/** An image as decoded: its own width and height, and its pixels resized to size×size RGB (row-major, 3 bytes a pixel). */
export interface DecodedImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Decode an image and resize it to size×size; null when the bytes are not an image. */
export type ImageDecoder = (bytes: Uint8Array, size: number) => Promise<DecodedImage | null>;

export interface OwnDataOptions {
  decode: ImageDecoder;
  /** Side of the square images stored (the model's input). */
  size: number;
  seed: number;
  /** Held out for the kNN monitor when the data has no test split of its own. */
  testFraction?: number;
  maxImages?: number;
  maxBytes?: number;
}

export const OWN_DATA_LIMITS = { maxImages: 20_000, maxBytes: 200 * 1024 * 1024 } as const;
/** Image sides and shapes taken: anything else is refused rather than stretched beyond recognition. */
export const IMAGE_LIMITS = { minSide: 8, maxSide: 4096, maxAspect: 4 } as const;
/** What a person sees when the selection holds nothing (the page says it too, for an empty folder). */
export const EMPTY_MESSAGE = 'the folder is empty: expected one sub-folder per class with images (or a zip of the same, or CIFAR-10 .bin batches)';
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_RECORD = 1 + 3 * 32 * 32;
/** Files beside the batches in the official CIFAR-10 binary folder: the class names and a readme (the names are CIFAR10_CLASSES). */
const CIFAR_COMPANION = /(^|\/)(batches\.meta\.txt|readme\.html?)$/i;
// .jfif/.pjpeg/.pjp are JPEGs (Windows saves web JPEGs as .jfif); browsers decode AVIF too.
const IMAGE_EXT = /\.(png|jpe?g|jfif|pjpeg|pjp|gif|webp|bmp|avif)$/i;
/** Images in formats browsers do not decode (a phone's HEIC, TIFF, raw): named, never dropped without a word. */
const UNREAD_IMAGE_EXT = /\.(heic|heif|tiff?|jxl|jp2|psd|dng|cr2|nef|arw)$/i;
const extOf = (path: string) => /\.[^./]+$/.exec(path)?.[0].toLowerCase() ?? '';
/** Labels are bytes. */
const MAX_CLASSES = 256;

export class OwnDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnDataError';
  }
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * A zip entry's name as a path: Windows PowerShell's Compress-Archive writes `cats\1.jpg`, and
 * bsdtar (Windows' `tar -a -cf pets.zip .`) writes `./cats/1.jpg`; both mean cats/1.jpg.
 */
function entryPath(name: string): string {
  return name.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.').join('/');
}

/**
 * Expand zips, drop hidden files and folder entries; `maxBytes` bounds what they inflate to.
 * Beside other files, a zip named as a split (train.zip, test.zip) or all of whose images lie
 * loose at its top (cats.zip) has its entries put in a folder of its name (train.zip's cat/1.jpg is
 * train/cat/1.jpg), so train.zip and test.zip keep their split; other zips merge, as the
 * folders they were made from would, and a path two of them hold is refused as given twice
 * (readOwnData). `fromZip`: the files that came out of a zip, each with that zip's path.
 */
function expand(files: OwnFile[], maxBytes: number): { files: OwnFile[]; fromZip: Map<OwnFile, string> } {
  const out: OwnFile[] = [];
  const fromZip = new Map<OwnFile, string>();
  // The loose files count too: 150 MB of them beside a zip inflating to 190 MB is 340 MB.
  let inflated = files.reduce((a, f) => a + (/\.zip$/i.test(f.path) ? 0 : f.bytes.length), 0);
  for (const f of files) {
    if (/\.zip$/i.test(f.path)) {
      let entries: Record<string, Uint8Array>;
      let over = false;
      try {
        // Sizes from the zip's directory, before anything is inflated: a small zip may expand a thousandfold.
        entries = unzipSync(f.bytes, { filter: (e) => !(over ||= (inflated += e.originalSize) > maxBytes) });
      } catch (e) {
        throw new OwnDataError(`${f.path} is not a readable zip (${(e as Error).message})`);
      }
      if (over) throw new OwnDataError(`${f.path} inflates to more than ${mb(maxBytes)} with the other files, the most this app takes (use fewer images)`);
      // A stored (uncompressed) entry changed on the way inflates fine and decodes to other pixels.
      const damaged = damagedEntry(f.bytes, entries);
      if (damaged) throw new OwnDataError(`${f.path} is damaged: ${damaged} does not match the checksum the zip records for it (a copy cut short or changed on the way); zip the images again`);
      const base = f.path.replace(/\.zip$/i, '');
      const paths = Object.keys(entries).map(entryPath);
      // Its own folder only where its name says something: a split (train.zip, test.zip), or a
      // class when all its images lie loose at its top (cats.zip, dogs.zip; one stray image
      // beside class folders is refused as anywhere else). Zips holding the same
      // class folders (part1.zip, part2.zip) merge, as the folders they were made from would.
      // Hidden entries left out first: the Finder's __MACOSX/._1.jpg sit in a folder.
      const images = paths.filter((p) => IMAGE_EXT.test(p) && !hiddenPath(p));
      const named = files.length > 1 && (TRAIN_FOLDER.test(base.split('/').pop()!) || TEST_FOLDER.test(base.split('/').pop()!) || (images.length > 0 && images.every((p) => !p.includes('/'))));
      const folder = named ? `${base}/` : '';
      for (const [name, bytes] of Object.entries(entries)) {
        const path = entryPath(name);
        if (!path || /[\\/]$/.test(name)) continue;
        const file = { path: `${folder}${path}`, bytes };
        out.push(file);
        fromZip.set(file, f.path);
      }
    } else out.push(f);
  }
  return { files: out.filter((f) => !hiddenPath(f.path)), fromZip };
}

/** A hidden file or folder (.DS_Store, ._1.jpg) or the Finder's __MACOSX copies: never data. */
function hiddenPath(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}

/**
 * A zipped image that is also given loose as the folder the zip was made from (the same bytes
 * at a path ending in the zipped one's), or undefined. Byte twins at other paths are taken: a
 * photo that is in two places of a data set on purpose, or a blank placeholder, is no reason
 * to refuse it (unless half the zip's images have twins: then it is that folder, renamed).
 */
function zippedTwin(files: OwnFile[], fromZip: Map<OwnFile, string>): { zipped: OwnFile; loose: OwnFile } | undefined {
  const images = files.filter((f) => IMAGE_EXT.test(f.path));
  const zipped = images.filter((f) => fromZip.has(f));
  if (zipped.length === 0 || zipped.length === images.length) return undefined;
  const key = (f: OwnFile) => `${f.bytes.length}:${fnv1a([f.bytes])}`;
  const loose = new Map<string, OwnFile[]>();
  for (const f of images) {
    if (fromZip.has(f)) continue;
    const k = key(f); // once: it hashes every byte of the image
    loose.set(k, [...(loose.get(k) ?? []), f]);
  }
  // Per zip: a small renamed zip beside a large one must not hide behind the other's count.
  const perZip = new Map<string, { images: number; twins: { zipped: OwnFile; loose: OwnFile }[] }>();
  for (const z of zipped) {
    const same = loose.get(key(z)) ?? [];
    const atItsPath = same.find((f) => f.path === z.path || f.path.endsWith(`/${z.path}`));
    if (atItsPath) return { zipped: z, loose: atItsPath };
    const zip = perZip.get(fromZip.get(z)!) ?? { images: 0, twins: [] };
    zip.images++;
    if (same.length) zip.twins.push({ zipped: z, loose: same[0] });
    perZip.set(fromZip.get(z)!, zip);
  }
  for (const zip of perZip.values()) if (zip.twins.length * 2 >= zip.images) return zip.twins[0];
  return undefined;
}

/** Read the files as a dataset, or throw OwnDataError saying what was expected. */
export async function readOwnData(input: OwnFile[], opts: OwnDataOptions): Promise<Dataset> {
  const maxBytes = opts.maxBytes ?? OWN_DATA_LIMITS.maxBytes;
  const maxImages = opts.maxImages ?? OWN_DATA_LIMITS.maxImages;
  const total = input.reduce((a, f) => a + f.bytes.length, 0);
  if (input.length === 0) throw new OwnDataError(EMPTY_MESSAGE);
  if (total > maxBytes) throw new OwnDataError(`${mb(total)} of files; the most this app takes is ${mb(maxBytes)} (use fewer images)`);
  const { files, fromZip } = expand(input, maxBytes);
  // The same images twice would count twice, and a copy could be held out beside its twin.
  const twin = zippedTwin(files, fromZip);
  if (twin) throw new OwnDataError(`a zip holds images that are also given loose (${twin.zipped.path} is ${twin.loose.path}): give the folder of images or its zip, not both`);
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new OwnDataError(`${f.path} is given twice (two zips or folders of the same name?): give each image once`);
    seen.add(f.path);
  }
  if (files.length === 0)
    throw new OwnDataError(
      `${input.length === 1 ? `${input[0].path} holds` : `the ${input.length} files hold`} nothing but folders or hidden files: expected one sub-folder per class with images (or a zip of the same, or CIFAR-10 .bin batches)`,
    );
  const bins = files.filter((f) => /\.bin$/i.test(f.path));
  if (bins.length > 0) {
    // The official binary folder (cifar-10-batches-bin) holds its class names and a readme beside the batches.
    const others = files.filter((f) => !/\.bin$/i.test(f.path) && !CIFAR_COMPANION.test(f.path));
    if (others.length > 0) throw new OwnDataError(`mix of .bin batches and other files (e.g. ${others[0].path}): give either CIFAR-10 .bin batches or image folders`);
    return readCifar(bins, opts, maxImages);
  }
  return readFolders(files, opts, maxImages);
}

function readCifar(bins: OwnFile[], opts: OwnDataOptions, maxImages: number): Dataset {
  const parse = (f: OwnFile): ImageSplit => {
    if (f.bytes.length === 0) throw new OwnDataError(`${f.path} is empty (0 bytes): a CIFAR-10 batch holds records of 1 label byte + 3072 pixel bytes (${CIFAR_RECORD} bytes each)`);
    if (f.bytes.length % CIFAR_RECORD !== 0) {
      throw new OwnDataError(`${f.path}: ${f.bytes.length} bytes is not a whole number of CIFAR-10 records (1 label byte + 3072 pixel bytes = ${CIFAR_RECORD} bytes each)`);
    }
    const count = f.bytes.length / CIFAR_RECORD;
    const images = new Uint8Array(count * 3072);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const r = f.bytes.subarray(i * CIFAR_RECORD, (i + 1) * CIFAR_RECORD);
      if (r[0] > 9) throw new OwnDataError(`${f.path}: record ${i} has label ${r[0]}; CIFAR-10 labels are 0–9`);
      labels[i] = r[0];
      // Planar (all R, then G, then B) → interleaved RGB per pixel.
      for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[i * 3072 + p * 3 + c] = r[1 + c * 1024 + p];
    }
    return { images, labels, count };
  };
  const isTest = (f: OwnFile) => /test_batch/i.test(f.path);
  const byPath = (a: OwnFile, b: OwnFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const records = (f: OwnFile) => Math.floor(f.bytes.length / CIFAR_RECORD);
  const testBins = bins.filter(isTest).sort(byPath);
  const trainBins = bins.filter((f) => !isTest(f)).sort(byPath);
  // The whole official folder (6 batches of 10000) is more than this app takes: the test
  // batch and the first training batches that fit are read, and the source says which.
  let room = maxImages - testBins.reduce((a, f) => a + records(f), 0);
  let n = 0;
  while (n < trainBins.length && records(trainBins[n]) <= room) room -= records(trainBins[n++]);
  const taken = trainBins.slice(0, n);
  const whole = n === trainBins.length;
  const tooMany = () =>
    new OwnDataError(
      `${bins.reduce((a, f) => a + records(f), 0)} images in ${bins.length} batches; the most this app takes is ${maxImages}: choose fewer batch files (an official batch holds 10000, so e.g. data_batch_1.bin and test_batch.bin)`,
    );
  // Not even one training batch fits beside the test batches (or they alone are too many).
  if (room < 0 || (!whole && n === 0)) throw tooMany();
  const train = concat(taken.map(parse), 3072);
  const test = concat(testBins.map(parse), 3072);
  const name = (f: OwnFile) => f.path.split('/').pop()!;
  const used = [...taken, ...testBins].map(name);
  // A few names, then a count: a hundred small batches listed made a source too long to save in a run.zip.
  const listed = used.length > LISTED_FILES ? `${used.slice(0, LISTED_FILES).join(', ')} and ${used.length - LISTED_FILES} more` : used.join(', ');
  const source = whole
    ? 'CIFAR-10 (own files)'
    : `CIFAR-10 (own files: ${listed}; ${trainBins.length - taken.length} more training batch${trainBins.length - taken.length === 1 ? '' : 'es'} left out, as this app takes at most ${maxImages} images)`;
  const labels = new Set([...train.labels, ...test.labels]);
  if (labels.size < 2) {
    const only = CIFAR10_CLASSES[[...labels][0]];
    throw new OwnDataError(`one class only (every record has label ${[...labels][0]}, ${only}): the kNN monitor needs records of at least two classes`);
  }
  const ds = resizeSplits(train.count ? train : test, test.count && train.count ? test : undefined, 32, opts);
  return finish(source, CIFAR10_CLASSES, ds.train, ds.test, opts);
}

/**
 * Folder names that mark a split rather than a class (ds/train/cat/1.jpg, ds/test/cat/2.jpg),
 * as datasets name them: mnist_png's training/testing, Kaggle's training_set/test_set.
 */
const TRAIN_FOLDER = /^(train|training)([_ -]?(set|data|images))?$/i;
const TEST_FOLDER = /^(test|testing|val|valid|validation)([_ -]?(set|data|images))?$/i;

async function readFolders(files: OwnFile[], opts: OwnDataOptions, maxImages: number): Promise<Dataset> {
  // By path, so the held-out split and the order of training do not depend on the order the
  // browser or the zip listed the files in.
  const images = files.filter((f) => IMAGE_EXT.test(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const unread = files.filter((f) => UNREAD_IMAGE_EXT.test(f.path));
  const convert = (f: OwnFile) => `${extOf(f.path)} images are not read by browsers: convert them to .jpg or .png`;
  if (images.length === 0)
    throw new OwnDataError(`no images found (looked for .png, .jpg, .jfif, .gif, .webp, .bmp, .avif) among ${files.length} file(s), e.g. ${(unread[0] ?? files[0]).path}${unread.length ? ` (${convert(unread[0])})` : ''}`);
  // Class = the first folder below whatever root all images share (other files, a README
  // beside the class folders, do not count). A shared folder with deeper images in it is a
  // root even when an image lies loose in it (pets/cats/1.png beside pets/cover.png): the
  // loose one is then refused as such, not the root taken for the one class.
  const parts = images.map((f) => f.path.split('/').filter(Boolean));
  let root = 0;
  while (parts.every((p) => p.length > root + 1 && p[root] === parts[0][root]) && parts.some((p) => p.length > root + 2)) root++;
  // A train/test level above the class folders gives the split itself (the classes are below it).
  const splitLevel = parts.every((p) => p.length > root + 2 && (TRAIN_FOLDER.test(p[root]) || TEST_FOLDER.test(p[root]))) && parts.some((p) => TRAIN_FOLDER.test(p[root])) && parts.some((p) => TEST_FOLDER.test(p[root]));
  const splitAt = root;
  const inTest = (f: OwnFile) => splitLevel && TEST_FOLDER.test(f.path.split('/').filter(Boolean)[splitAt]);
  if (splitLevel) {
    root++;
    // Again below the split: ds/train/images/cat and ds/test/images/cat share "images", and
    // Kaggle's training_set/training_set/cats repeats each split's own name.
    while (parts.every((p) => p.length > root + 2 && (p[root] === parts[0][root] || p[root] === p[splitAt]))) root++;
  }
  // Before the split check: an image loose beside train/ and test/ (a cover image) is what
  // keeps the split level from being read, and it is what to name.
  const loose = parts.filter((p) => p.length - root < 2);
  if (loose.length > 0) throw new OwnDataError(`${loose[0].join('/')} is not in a class folder: put the images in one sub-folder per class (e.g. cats/1.jpg, dogs/2.jpg)`);
  // "Classes" that are a train and a test folder, one holding folders (train/cat/1.jpg beside
  // a loose test/5.jpg): the split level was not read, and taking train/ and test/ as the
  // classes would merge the real classes and train on the test images. (A class that merely
  // holds sub-folders, train/front/1.png beside bus/front/2.png, is a class.)
  const splitNames = !splitLevel && parts.some((p) => TRAIN_FOLDER.test(p[root])) && parts.some((p) => TEST_FOLDER.test(p[root]));
  const splitLike = splitNames ? parts.find((p) => p.length - root > 2 && (TRAIN_FOLDER.test(p[root]) || TEST_FOLDER.test(p[root]))) : undefined;
  if (splitLike)
    throw new OwnDataError(
      `${splitLike.slice(0, root + 1).join('/')}/ holds class folders, as a split does, but its split level cannot be read: give train/ and test/ (or val/) folders that each hold the same class folders, or the class folders alone`,
    );
  // Images browsers do not decode, at the class level or below, are left out and listed with the
  // undecodable ones (a folder of only such images is no class, but is named: a .heic class
  // vanished without a word). Too few classes left: the refusal names such a folder.
  const dirOf = (path: string, depth: number) => path.split('/').filter(Boolean).slice(0, depth).join('/');
  const classDirs = new Set(images.map((f) => dirOf(f.path, root + 1)));
  const parentDirs = new Set(images.map((f) => dirOf(f.path, root)));
  const unreadAtClasses = unread.filter((f) => f.path.split('/').filter(Boolean).length > root + 1 && parentDirs.has(dirOf(f.path, root)));
  const lostClass = unreadAtClasses.find((f) => !classDirs.has(dirOf(f.path, root + 1)));
  const leftOut = unreadAtClasses.map((f) => f.path);
  if (images.length > maxImages) throw new OwnDataError(`${images.length} images; the most this app takes is ${maxImages} (use fewer)`);
  const classOf = (f: OwnFile) => f.path.split('/').filter(Boolean)[root];
  const classNames = [...new Set(images.map(classOf))].sort();
  if (classNames.length < 2 && lostClass)
    throw new OwnDataError(`one class only (${classNames[0]}): the kNN monitor needs at least two class folders; ${dirOf(lostClass.path, root + 1)}/ holds only images this app does not read (e.g. ${lostClass.path}; ${convert(lostClass)}, if it is a class)`);
  if (classNames.length < 2) throw new OwnDataError(`one class only (${classNames[0]}): the kNN monitor needs at least two class folders`);
  if (classNames.length > MAX_CLASSES) throw new OwnDataError(`${classNames.length} class folders; the most this app takes is ${MAX_CLASSES} (a label is one byte)`);
  const n = opts.size * opts.size * 3;
  const pixels = new Uint8Array(images.length * n);
  const labels = new Uint8Array(images.length);
  const test = new Uint8Array(images.length);
  let kept = 0;
  // Sizes read from the headers first: an image of a refused size is refused before anything is
  // decoded (a 12000×9000 JPEG was decoded to ~432 MB of RGBA, after every image before it).
  for (const f of images) {
    const size = headerSize(f.bytes);
    const odd = size && oddSize(size);
    if (size && odd) throw sizeRefusal(f.path, size, odd, opts.size);
  }
  // The images that failed to decode (the refusals below name these, not the formats left out).
  const bad: string[] = [];
  for (const f of images) {
    const img = await opts.decode(f.bytes, opts.size);
    if (!img || img.rgb.length !== n) {
      bad.push(f.path);
      continue;
    }
    const odd = oddSize(img);
    if (odd) throw sizeRefusal(f.path, img, odd, opts.size);
    pixels.set(img.rgb, kept * n);
    labels[kept] = classNames.indexOf(classOf(f));
    test[kept] = inTest(f) ? 1 : 0;
    kept++;
  }
  if (kept === 0) throw new OwnDataError(`none of the ${images.length} images could be decoded (e.g. ${bad[0]})`);
  // A class whose every image failed to decode is no class: drop it, and refuse when one is left.
  const present = [...new Set(labels.subarray(0, kept))].sort((a, b) => a - b);
  if (present.length < 2)
    throw new OwnDataError(`only ${classNames[present[0]]} has images that could be decoded (${bad.length} could not, e.g. ${bad[0]}): the kNN monitor needs at least two class folders`);
  const relabel = new Map(present.map((c, i) => [c, i]));
  const all: ImageSplit = { images: pixels.slice(0, kept * n), labels: labels.slice(0, kept).map((c) => relabel.get(c)!), count: kept };
  const indices = (inSplit: number) => Array.from({ length: kept }, (_, i) => i).filter((i) => test[i] === inSplit);
  const split = splitLevel ? { train: pickImages(all, indices(0), n), test: pickImages(all, indices(1), n) } : holdOut(all, present.length, n, opts);
  if (splitLevel && (split.train.count === 0 || split.test.count === 0))
    throw new OwnDataError(`no image in the ${split.train.count === 0 ? 'train' : 'test'} folder could be decoded (${bad.length} could not, e.g. ${bad[0]}): the split comes from the train and test folders, so both need images`);
  return finish(splitLevel ? 'own images (their train and test folders)' : 'own images', present.map((c) => classNames[c]), split.train, split.test, opts, [...leftOut, ...bad]);
}

/**
 * Formats whose header size is trusted before decoding: ones browsers decode, read right by
 * image-size. Others (a TIFF or HEIC, even named .jpg) are left to the decode, which lists
 * them as not decoded rather than refusing the load; a BMP only with a 40-byte or longer
 * header (image-size reads the old 12-byte one's 16-bit sizes as 32-bit: 64×64 read as 4194368×1572865).
 */
const HEADER_TRUSTED = new Set(['png', 'jpg', 'gif', 'webp']);

/** Width and height as the file's header gives them, for a trusted format (else the decode tells). */
function headerSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  try {
    const { width, height, type } = imageSize(bytes);
    const bmpInfo = type === 'bmp' && bytes.length >= 18 && new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(14, true) >= 40;
    if (!(type && (HEADER_TRUSTED.has(type) || bmpInfo))) return undefined;
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined; // a format it does not read, or a damaged header: the decode decides
  }
}

function sizeRefusal(path: string, { width, height }: { width: number; height: number }, odd: string, size: number): OwnDataError {
  return new OwnDataError(`${path} is ${width}×${height} px (${odd}): expected images ${IMAGE_LIMITS.minSide}–${IMAGE_LIMITS.maxSide} px a side, at most ${IMAGE_LIMITS.maxAspect}:1; they are resized to ${size}×${size}`);
}

/** Why an image's size is refused, or undefined when it is fine to resize. */
function oddSize({ width, height }: { width: number; height: number }): string | undefined {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  if (short < IMAGE_LIMITS.minSide) return 'too small';
  if (long > IMAGE_LIMITS.maxSide) return 'too large';
  if (long > IMAGE_LIMITS.maxAspect * short) return `${(long / short).toFixed(1)}:1, too elongated`;
  return undefined;
}

/** CIFAR batch files named in a source before the rest are counted. */
const LISTED_FILES = 8;
/** The longest source a run.zip keeps (state/bundleData.ts): one longer is cut, so every export reads back. */
export const MAX_SOURCE_LENGTH = 1000;

function finish(source: string, classNames: string[], train: ImageSplit, test: ImageSplit, opts: OwnDataOptions, skipped: string[] = []): Dataset {
  const said = source.length > MAX_SOURCE_LENGTH ? `${source.slice(0, MAX_SOURCE_LENGTH - 1)}…` : source;
  if (train.count === 0 || test.count === 0) throw new OwnDataError(`too few images to hold some out for the kNN monitor (${train.count + test.count}): give at least two a class`);
  // A step of one image trains nothing: BatchNorm over a batch of one outputs β and passes
  // back a zero gradient (PyTorch refuses it: "Expected more than 1 value per channel").
  if (train.count < 2) throw new OwnDataError(`only ${train.count} training image: a step needs at least two (BatchNorm over one image learns nothing); add images to the train folder`);
  return { name: 'own', source: said, skipped, height: opts.size, width: opts.size, channels: 3, classNames, train, test };
}

/** Split off a seeded testFraction of each class (at least one image, when a class has two or more). */
function holdOut(all: ImageSplit, classes: number, per: number, opts: OwnDataOptions): { train: ImageSplit; test: ImageSplit } {
  const frac = opts.testFraction ?? 0.2;
  const base = new Rng(opts.seed * 7919 + 17);
  const testIdx: number[] = [];
  const trainIdx: number[] = [];
  for (let c = 0; c < classes; c++) {
    // A stream a class: adding an image to one class must not change another's held-out images.
    const rng = base.fork(c);
    const idx = Array.from({ length: all.count }, (_, i) => i).filter((i) => all.labels[i] === c);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const k = idx.length >= 2 ? Math.max(1, Math.round(idx.length * frac)) : 0;
    testIdx.push(...idx.slice(0, k));
    trainIdx.push(...idx.slice(k));
  }
  return { train: pickImages(all, trainIdx.sort((a, b) => a - b), per), test: pickImages(all, testIdx.sort((a, b) => a - b), per) };
}

function concat(splits: ImageSplit[], per: number): ImageSplit {
  const count = splits.reduce((a, s) => a + s.count, 0);
  const images = new Uint8Array(count * per);
  const labels = new Uint8Array(count);
  let o = 0;
  for (const s of splits) {
    images.set(s.images, o * per);
    labels.set(s.labels, o);
    o += s.count;
  }
  return { images, labels, count };
}

/**
 * CIFAR images at 32×32 resized to the model's size; a missing test split held out. Smaller:
 * area-averaged by areaShrink, as saved own images are when shrunk (OwnImages.at), so the
 * same file gives the same pixels by either path, and without the aliasing of sampling.
 * Larger (up to 64): nearest, which copies each pixel into a block and invents nothing.
 */
function resizeSplits(train: ImageSplit, test: ImageSplit | undefined, from: number, opts: OwnDataOptions): { train: ImageSplit; test: ImageSplit } {
  const resize = (s: ImageSplit): ImageSplit => {
    if (opts.size === from) return s;
    if (opts.size < from) return areaShrink(s, from, opts.size, 3);
    const t = opts.size;
    const images = new Uint8Array(s.count * t * t * 3);
    for (let i = 0; i < s.count; i++)
      for (let y = 0; y < t; y++)
        for (let x = 0; x < t; x++) {
          const sy = Math.min(from - 1, Math.floor(((y + 0.5) * from) / t));
          const sx = Math.min(from - 1, Math.floor(((x + 0.5) * from) / t));
          for (let c = 0; c < 3; c++) images[((i * t + y) * t + x) * 3 + c] = s.images[((i * from + sy) * from + sx) * 3 + c];
        }
    return { images, labels: s.labels, count: s.count };
  };
  const r = resize(train);
  if (test) return { train: r, test: resize(test) };
  return holdOut(r, 10, opts.size * opts.size * 3, opts);
}
