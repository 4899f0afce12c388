// A shipped .gz file as fetched. A server that sends it with Content-Encoding: gzip (Vite's
// dev server, some static hosts) hands back the inflated bytes; the loaders expect the file as
// stored, so those are compressed again. Only an inflated IDX file (it starts 00 00) is taken
// for that: a page sent in place of a missing file (status 200, index.html) is passed on as it
// came, so gunzip says it looks like HTML instead of the IDX parser finding a bad magic number.

/** Whether `bytes`, fetched for `path`, are a .gz file the server already inflated. */
export function inflatedByServer(path: string, bytes: Uint8Array): boolean {
  return path.endsWith('.gz') && bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0;
}
