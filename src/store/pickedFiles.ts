// Files a person chose or dropped, each with the path the own-data reader needs to find
// the class folders ('shapes/circle/0.png'). The folder input gives these paths itself
// (webkitRelativePath); a drop gives a dropped folder as one entry, which is walked here,
// since the drop's file list holds the folder as one unreadable File.

export interface PickedFile {
  path: string;
  file: File;
}

/** The parts of FileSystemEntry the walk uses (written out so that tests can build a tree). */
export interface EntryLike {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
}
export interface FileEntryLike extends EntryLike {
  file(ok: (file: File) => void, fail?: (error: DOMException) => void): void;
}
export interface DirectoryEntryLike extends EntryLike {
  createReader(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (error: DOMException) => void): void };
}

/** The chosen files, with the relative path a folder input gives (the name for plain files). */
export function pickedFromList(list: FileList | File[]): PickedFile[] {
  return [...list].map((file) => ({ path: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, file }));
}

/** One dropped item: its entry when the browser gives one (folders walk), else its File. */
export type DropItem = { entry: EntryLike } | { file: File };

/**
 * What a drop holds. Must be called inside the drop handler: the items are unreadable once
 * the event has returned. An item without an entry (a page-built DataTransfer, a browser
 * without webkitGetAsEntry) is taken as its File.
 */
export function dropItems(data: DataTransfer): DropItem[] {
  const items = [...(data.items ?? [])].filter((i) => i.kind === 'file');
  if (items.length === 0) return [...data.files].map((file) => ({ file }));
  return items.flatMap((i): DropItem[] => {
    const entry = typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null;
    if (entry) return [{ entry }];
    const file = i.getAsFile();
    return file ? [{ file }] : [];
  });
}

/** Every file under the dropped items, folders walked recursively, paths from the dropped item down. */
export async function filesOfDrop(items: DropItem[]): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  for (const item of items) {
    if ('file' in item) out.push({ path: item.file.name, file: item.file });
    else await walk(item.entry, '', out);
  }
  return out;
}

async function walk(entry: EntryLike, prefix: string, out: PickedFile[]): Promise<void> {
  const path = `${prefix}${entry.name}`;
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileEntryLike).file(ok, fail));
    out.push({ path, file });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry as DirectoryEntryLike)) await walk(child, `${path}/`, out);
  }
}

/** A directory's entries: readEntries hands them out in batches (100 at a time in Chromium) until an empty one. */
async function readAll(dir: DirectoryEntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader();
  const all: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
