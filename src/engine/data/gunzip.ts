// gunzip through the platform's DecompressionStream (browser, worker and Node ≥ 18 alike), with errors that name the file.

/** Decompresses gzip bytes; `name` appears in every error. */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    // A dev server answers a missing file with index.html and status 200: say so.
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
    const html = /^\s*</.test(head) ? ' — it looks like HTML, so the file is probably missing and the server sent a page instead' : '';
    throw new Error(`${name}: not a gzip file: expected magic bytes 1f 8b and at least 18 bytes, found ${bytes.length} byte(s) starting "${head}"${html}`);
  }
  if (typeof DecompressionStream === 'undefined') {
    throw new Error(`${name}: cannot decompress: DecompressionStream is not available in this environment`);
  }
  try {
    // Copy into a plain ArrayBuffer-backed array: Blob rejects views over SharedArrayBuffer.
    const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${name}: corrupt or truncated gzip data (${bytes.length} bytes): ${why}`);
  }
}
