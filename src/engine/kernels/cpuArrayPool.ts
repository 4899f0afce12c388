// Output arrays for the project's cpu kernels, reused once the tensor holding one is
// disposed. Why: in Chromium a new typed array of a step's sizes (a few to a few hundred KB)
// costs ~100–200 µs (fresh pages the kernel zeroes and faults in, given back on free), against
// ~10 in Node, and a cpu step makes ~1000 of them: the page's cpu step took 2–4× the bench's.
//
// tfjs' cpu backend keeps the array a kernel gives it and hands that same array out
// (dataSync, data, a contiguous slice's subarray), so an array goes back to the pool only
// when nothing else can hold it: it was made here (`take`), it was written as exactly one
// tensor's values (not as a view, not twice), and its values were never read out (readSync,
// read). Anything else marks it escaped, and the garbage collector has it as before.
import type * as tf from '@tensorflow/tfjs';

/** Arrays this short are cheap to allocate: not pooled. */
const MIN_LENGTH = 256;
/** Pooled bytes at most (a default cpu step's live and free outputs stay well under it). */
const MAX_POOLED_BYTES = 64 * 1024 * 1024;
/** Free arrays kept per length at most. */
const MAX_PER_LENGTH = 64;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
/** Buffers made by take(): the only ones that may come back. */
const born = new WeakSet<ArrayBuffer>();
/** Buffers written as one tensor's values, until it is disposed. */
const owned = new WeakSet<ArrayBuffer>();
/** Buffers something else may hold: never pooled again. */
const escaped = new WeakSet<ArrayBuffer>();
let installed = false;
/** Off: every take() is a new array and nothing is kept (the A/B check and benches). */
let enabled = true;

/** Switch reuse on or off (off drops the free arrays). */
export function setArrayPoolEnabled(on: boolean): void {
  enabled = on;
  if (!on) clearArrayPool();
}

/** A float32 array of `n` elements, zero-filled, from the pool when one is free. */
export function take(n: number): Float32Array {
  if (installed && enabled && n >= MIN_LENGTH) {
    const a = free.get(n)?.pop();
    if (a) {
      pooledBytes -= a.byteLength;
      return a.fill(0);
    }
  }
  const a = new Float32Array(n);
  if (n >= MIN_LENGTH) born.add(a.buffer as ArrayBuffer);
  return a;
}

function markRead(values: unknown): void {
  if (ArrayBuffer.isView(values) && born.has(values.buffer as ArrayBuffer)) escaped.add(values.buffer as ArrayBuffer);
}

function markWritten(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const buf = values.buffer as ArrayBuffer;
  if (!born.has(buf)) return;
  // A view (a slice's subarray) or a second tensor on the same array: its owner may go
  // while the other still reads it.
  if (values.byteOffset !== 0 || values.byteLength !== buf.byteLength || owned.has(buf)) escaped.add(buf);
  owned.add(buf);
}

function release(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const buf = values.buffer as ArrayBuffer;
  if (!born.has(buf) || escaped.has(buf)) return;
  owned.delete(buf);
  if (!enabled || pooledBytes + values.byteLength > MAX_POOLED_BYTES) return;
  let list = free.get(values.length);
  if (!list) free.set(values.length, (list = []));
  if (list.length >= MAX_PER_LENGTH) return;
  list.push(values);
  pooledBytes += values.byteLength;
}

type DataStore = { get(id: object): { values?: unknown } | undefined; has(id: object): boolean };
interface PoolableBackend {
  data: DataStore;
  write(values: unknown, ...rest: unknown[]): unknown;
  move(dataId: object, values: unknown, ...rest: unknown[]): unknown;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Hook the cpu backend's writes, reads and disposals (idempotent per backend object). */
export function installArrayPool(backend: tf.KernelBackend): void {
  const b = backend as unknown as PoolableBackend & { __arrayPool?: boolean };
  if (b.__arrayPool) return;
  b.__arrayPool = true;
  installed = true;
  const { write, move, readSync, read, disposeData } = b;
  b.write = function (values, ...rest) {
    markWritten(values);
    return write.call(this, values, ...rest);
  };
  b.move = function (dataId, values, ...rest) {
    markWritten(values);
    return move.call(this, dataId, values, ...rest);
  };
  b.readSync = function (dataId) {
    const v = readSync.call(this, dataId);
    markRead(this.data.get(dataId)?.values);
    markRead(v);
    return v;
  };
  b.read = async function (dataId) {
    markRead(this.data.get(dataId)?.values);
    const v = await read.call(this, dataId);
    markRead(v);
    return v;
  };
  b.disposeData = function (dataId, force) {
    const values = this.data.get(dataId)?.values;
    const out = disposeData.call(this, dataId, force);
    if (!this.data.has(dataId)) release(values);
    return out;
  };
}

/** What the pool holds now (tests, benches). */
export function arrayPoolStats(): { freeArrays: number; pooledBytes: number } {
  let n = 0;
  for (const l of free.values()) n += l.length;
  return { freeArrays: n, pooledBytes };
}

/** Drop every free array (tests). */
export function clearArrayPool(): void {
  free.clear();
  pooledBytes = 0;
}
