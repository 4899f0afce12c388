// Builds the shipped Fashion-MNIST subset in public/data/fashion-mnist from Debian's dataset-fashion-mnist package.
// Usage: npx tsx scripts/convert-fashion-mnist.ts [--src DIR] [--out DIR]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx } from '../src/engine/data/idx';

const TRAIN_PER_CLASS = 1000;
const TEST_PER_CLASS = 200;

const arg = (flag: string, dflt: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
};
const src = arg('--src', '/usr/share/datasets/fashion-mnist');
const out = arg('--out', 'public/data/fashion-mnist');

function readGzIdx(file: string, ndims: number) {
  return parseIdx(new Uint8Array(gunzipSync(readFileSync(file))), { ndims, name: file });
}

/** Keeps, in original order, the first `perClass` examples of each of the 10 classes. */
function subset(imagesFile: string, labelsFile: string, perClass: number) {
  const img = readGzIdx(imagesFile, 3);
  const lab = readGzIdx(labelsFile, 1);
  const [n, h, w] = img.dims;
  if (lab.dims[0] !== n) throw new Error(`${labelsFile}: ${lab.dims[0]} labels for ${n} images`);
  const per = h * w;
  const seen = new Array<number>(10).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = lab.data[i];
    if (l >= 10) throw new Error(`${labelsFile}: label ${l} at ${i}`);
    if (seen[l] < perClass) {
      seen[l]++;
      keep.push(i);
    }
  }
  if (seen.some((s) => s < perClass)) throw new Error(`${imagesFile}: fewer than ${perClass} examples of some class: ${seen.join(',')}`);
  const images = new Uint8Array(keep.length * per);
  const labels = new Uint8Array(keep.length);
  keep.forEach((i, k) => {
    images.set(img.data.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = lab.data[i];
  });
  return { images: encodeIdx([keep.length, h, w], images), labels: encodeIdx([keep.length], labels), count: keep.length, lastIndex: keep[keep.length - 1] };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

mkdirSync(out, { recursive: true });
const splits = [
  { name: 'train', from: 'train', perClass: TRAIN_PER_CLASS },
  { name: 'test', from: 't10k', perClass: TEST_PER_CLASS },
];
const rows: string[] = [];
const notes: string[] = [];
const sources: string[] = [];
for (const s of splits) {
  const srcImages = join(src, `${s.from}-images-idx3-ubyte.gz`);
  const srcLabels = join(src, `${s.from}-labels-idx1-ubyte.gz`);
  const sub = subset(srcImages, srcLabels, s.perClass);
  for (const f of [srcImages, srcLabels]) sources.push(`| \`${basename(f)}\` | \`${sha256(readFileSync(f))}\` |`);
  notes.push(`- \`${s.name}-*\`: the first ${s.perClass} examples of each class of \`${basename(srcImages)}\` / \`${basename(srcLabels)}\`, scanning in file order and keeping that order (${sub.count} examples; the last one kept is source index ${sub.lastIndex}).`);
  for (const [file, raw] of [[`${s.name}-images.idx3.gz`, sub.images], [`${s.name}-labels.idx1.gz`, sub.labels]] as const) {
    // Node's gzip header has mtime 0, so the same input gives the same bytes.
    const gz = gzipSync(raw, { level: 9 });
    writeFileSync(join(out, file), gz);
    rows.push(`| \`${file}\` | ${gz.length} | \`${sha256(gz)}\` | \`${sha256(raw)}\` |`);
  }
}

let version = 'unknown';
try {
  version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dataset-fashion-mnist'], { encoding: 'utf8' }).trim();
} catch {
  // Not a Debian system, or the package is absent: record that rather than fail.
}

const LICENSE = `The MIT License (MIT)

Copyright (c) 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a
copy of this software and associated documentation files (the "Software"),
to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included
in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY
CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;
writeFileSync(join(out, 'LICENSE'), LICENSE);

const PROVENANCE = `# Fashion-MNIST subset — provenance

- **Dataset**: Fashion-MNIST, © 2017 Zalando SE, MIT licence (see \`LICENSE\` in this folder).
  Upstream: https://github.com/zalandoresearch/fashion-mnist
- **Source used**: Debian package \`dataset-fashion-mnist\`, version \`${version}\`
  (upstream git snapshot 55506a9 of 2020-05-23 as packaged by Debian), files in \`${src}\`.
  The package's copyright file lists the data as Expat (MIT), Copyright 2017 Zalando SE.

Source files (sha256):

| file | sha256 |
|---|---|
${sources.join('\n')}

## Subset rule

${notes.join('\n')}

Classes are therefore exactly balanced: ${TRAIN_PER_CLASS} per class in train (${10 * TRAIN_PER_CLASS}), ${TEST_PER_CLASS} per class in test (${10 * TEST_PER_CLASS}).
Pixel values and labels are unchanged.

## Format

Standard IDX (big-endian header, unsigned-byte data), gzip-compressed (level 9, mtime 0):
\`*-images.idx3.gz\` holds [count, 28, 28] (magic 0x00000803), \`*-labels.idx1.gz\` holds [count] (magic 0x00000801).
Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

## Regenerate

\`\`\`
npx tsx scripts/convert-fashion-mnist.ts        # or: npm run data:fashion-mnist
\`\`\`

(optional \`--src DIR\` for another copy of the original gz files, \`--out DIR\`.)

## Checksums (sha256)

The gz checksum depends on the zlib build; the IDX (decompressed) checksum does not.

| file | bytes | sha256 of file | sha256 of decompressed IDX |
|---|---|---|---|
${rows.join('\n')}
`;
writeFileSync(join(out, 'PROVENANCE.md'), PROVENANCE);
console.log(`wrote ${out}:\n${rows.join('\n')}`);
