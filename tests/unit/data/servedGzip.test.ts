// A shipped .gz file as a host serves it: inflated by a server that sends Content-Encoding:
// gzip (compressed again for the loaders), or an HTML page sent for a missing file (passed on,
// so gunzip names it as HTML; it was compressed too, and the IDX parser then reported a bad
// magic number, naming nothing a teacher could act on). Found by a hosting hunt.
import { describe, expect, it } from 'vitest';
import { gunzip } from '../../../src/engine/data/gunzip';
import { inflatedByServer } from '../../../src/engine/data/servedGzip';

const text = (s: string) => new TextEncoder().encode(s);

describe('a .gz asset as served', () => {
  it('an inflated IDX file (00 00, type, dimensions) is taken as inflated by the server', () => {
    expect(inflatedByServer('data/fashion-mnist/train-images.idx3.gz', Uint8Array.from([0, 0, 8, 3, 0, 0, 3, 232]))).toBe(true);
  });

  it('a page sent in place of a missing file is passed on, and gunzip says it looks like HTML', async () => {
    const page = text('<!doctype html><html><head><title>SparseCL Playground</title></head></html>');
    expect(inflatedByServer('data/fashion-mnist/train-images.idx3.gz', page)).toBe(false);
    await expect(gunzip(page, 'train-images.idx3.gz')).rejects.toThrow(/it looks like HTML, so the file is probably missing/);
    // An empty answer is passed on too: "not a gzip file … found 0 byte(s)".
    expect(inflatedByServer('x.gz', new Uint8Array())).toBe(false);
    await expect(gunzip(new Uint8Array(), 'x.gz')).rejects.toThrow(/found 0 byte\(s\)/);
  });

  it('a gzip file as stored, and any file that is not .gz, are left as they are', () => {
    expect(inflatedByServer('a.gz', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))).toBe(false);
    expect(inflatedByServer('a.bin', Uint8Array.from([0, 0, 8, 3]))).toBe(false);
  });
});
