// A drop's files: a dropped folder is walked through a fake FileSystemEntry tree (handing
// its entries out in small batches, as Chromium does 100 at a time) into the same relative
// paths a folder input gives; items without an entry are taken as their File.
import { describe, expect, it } from 'vitest';
import { dropItems, filesOfDrop, pickedFromList, type DirectoryEntryLike, type EntryLike, type FileEntryLike } from '../../../src/store/pickedFiles';

const fileEntry = (name: string, content = name): FileEntryLike & { f: File } => {
  const f = new File([content], name);
  return { name, isFile: true, isDirectory: false, f, file: (ok) => ok(f) };
};
const brokenFileEntry = (name: string): FileEntryLike => ({ name, isFile: true, isDirectory: false, file: (_ok, fail) => fail?.(new DOMException('A requested file could not be found', 'NotFoundError')) });

/** A directory whose reader hands out `batch` entries per readEntries call, then an empty batch. */
function dirEntry(name: string, children: EntryLike[], batch = 2): DirectoryEntryLike & { reads: number } {
  const d = {
    name,
    isFile: false,
    isDirectory: true,
    reads: 0,
    createReader() {
      let at = 0;
      return {
        readEntries(ok: (entries: EntryLike[]) => void) {
          d.reads++;
          const out = children.slice(at, at + batch);
          at += out.length;
          // Asynchronous, like the browser's.
          setTimeout(() => ok(out), 0);
        },
      };
    },
  };
  return d;
}

describe('files of a drop', () => {
  it('walks a dropped folder tree into folder-input paths, every batch of entries read', async () => {
    const circles = Array.from({ length: 5 }, (_, i) => fileEntry(`${i}.png`, `circle ${i}`));
    const square = fileEntry('0.png', 'square 0');
    const circle = dirEntry('circle', circles, 2);
    const root = dirEntry('shapes', [circle, dirEntry('square', [square]), dirEntry('empty', [])]);
    const loose = fileEntry('data_batch_1.bin');
    const got = await filesOfDrop([{ entry: root }, { entry: loose }]);
    expect(got.map((f) => f.path)).toEqual([...circles.map((_, i) => `shapes/circle/${i}.png`), 'shapes/square/0.png', 'data_batch_1.bin']);
    // Each path carries its own file, in full.
    expect(await got[3].file.text()).toBe('circle 3');
    expect(got[5].file).toBe(square.f);
    // 5 entries in batches of 2: reads of 2, 2, 1, then the empty batch that ends the walk.
    expect(circle.reads).toBe(4);
  });

  it('rejects with the browser’s error when a file of the tree cannot be read', async () => {
    const root = dirEntry('shapes', [dirEntry('circle', [fileEntry('0.png'), brokenFileEntry('1.png')])]);
    await expect(filesOfDrop([{ entry: root }])).rejects.toThrow(/could not be found/);
  });

  it('an empty dropped folder gives no files', async () => {
    expect(await filesOfDrop([{ entry: dirEntry('empty', []) }])).toEqual([]);
  });

  it('takes items without an entry as their File, skips non-file items, falls back to the file list', async () => {
    const zip = new File(['zip'], 'shapes.zip');
    const bin = new File(['bin'], 'test_batch.bin');
    const folder = dirEntry('pets', [fileEntry('a.png')]);
    const data = {
      items: [
        { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => zip },
        { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null },
        { kind: 'file', webkitGetAsEntry: () => folder, getAsFile: () => new File([], 'pets') },
        { kind: 'file', getAsFile: () => bin }, // no webkitGetAsEntry at all
      ],
      files: [],
    } as unknown as DataTransfer;
    const items = dropItems(data);
    expect(items).toHaveLength(3);
    expect((await filesOfDrop(items)).map((f) => f.path)).toEqual(['shapes.zip', 'pets/a.png', 'test_batch.bin']);
    expect(dropItems({ items: [], files: [zip, bin] } as unknown as DataTransfer)).toEqual([{ file: zip }, { file: bin }]);
  });

  it('chosen files keep the folder input’s relative path, else their name', () => {
    const inFolder = new File(['x'], '0.png');
    Object.defineProperty(inFolder, 'webkitRelativePath', { value: 'shapes/circle/0.png' });
    const plain = new File(['y'], 'data_batch_1.bin');
    expect(pickedFromList([inFolder, plain]).map((f) => f.path)).toEqual(['shapes/circle/0.png', 'data_batch_1.bin']);
  });
});
