// The blocked conv loops split between this thread and one helper thread that shares memory
// with it (a SharedArrayBuffer): the forward and the input gradient by images, the filter
// gradient by input channels. Each output is computed by one thread with the same loop, so
// the sums run in the same order as on one thread and every value is the same bit for bit.
// A tfjs kernel is synchronous, so this thread hands over its half, computes the other one,
// and blocks (Atomics.wait) until the helper is done: Node's main thread and a Worker may
// block; a page's main thread may not (it never installs this). Environment-free: the
// helper is started by whoever can start threads (src/cli/convThreads.ts in Node).
import type { ConvGeometry } from './cpuConv2D';
import { filterGradHere, forwardHere, inputGradHere, type Buf, type ConvPart, type ConvSplitter } from './convTaps';

// ctrl: Int32Array slots.
const REQ = 0; // request number (this thread writes it, then notifies)
const DONE = 1; // the last request the helper finished
const READY = 2; // 1 once the helper waits for requests
const OP = 3; // 1 forward, 2 input gradient, 3 filter gradient, 4 stop
const FAILED = 4; // 1 when the helper threw (the request is then redone here)
const GEO = 5; // B, H, W, C, OH, OW, K, FH, FW, top, left, sh, sw
const SPLIT = 18, OUT_STRIDE = 19, C0 = 20, C1 = 21, HAS_GATE = 22, GROUPS = 23;
const X = 24, Y = 26, W = 28, GATE = 30; // arena offset, length (floats) of each
export const CTRL_INTS = 32;

const OP_FORWARD = 1, OP_INPUT_GRAD = 2, OP_FILTER_GRAD = 3, OP_STOP = 4;

/** Below this many multiply-adds a call stays on one thread (the hand-over costs ~20–50 µs). */
const MIN_SPLIT_MACS = 200_000;
/** How long this thread waits for the helper before it gives up with an error. */
const ANSWER_MS = 60_000;

type Arena = { sab: SharedArrayBuffer; view: Float32Array };

/** Only float32 arrays are split (what tfjs' cpu backend and the kernels hand over). */
function allF32(...bufs: (Buf | null)[]): boolean {
  return bufs.every((b) => b === null || b instanceof Float32Array);
}

function copyInto(dst: Float32Array, at: number, src: Buf, from: number, to: number): void {
  dst.set((src as Float32Array).subarray(from, to), at);
}

function copyBack(dst: Buf, at: number, src: Float32Array, from: number, to: number): void {
  (dst as Float32Array).set(src.subarray(from, to), at);
}

/** A part's gate moved past the first `bm` images' units. */
const afterImages = (part: ConvPart, g: ConvGeometry, bm: number): ConvPart => ({ ...part, gateOffset: part.gateOffset + bm * g.OH * g.OW * part.G });

/** Images [from, …) of an NHWC buffer with `per` floats an image. */
const fromImage = (b: Buf, from: number, per: number): Float32Array => (b as Float32Array).subarray(from * per);

function writeGeometry(ctrl: Int32Array, g: ConvGeometry, B: number): void {
  const v = [B, g.H, g.W, g.C, g.OH, g.OW, g.K, g.FH, g.FW, g.top, g.left, g.sh, g.sw];
  for (let i = 0; i < v.length; i++) ctrl[GEO + i] = v[i];
}

function readGeometry(ctrl: Int32Array): ConvGeometry {
  const v = Array.from(ctrl.subarray(GEO, GEO + 13));
  const [B, H, W, C, OH, OW, K, FH, FW, top, left, sh, sw] = v;
  return { B, H, W, C, OH, OW, K, FH, FW, top, left, sh, sw };
}

/**
 * This thread's side: splits calls with the helper that serves `ctrlSab` and `arenaSab`
 * (a growable SharedArrayBuffer; the helper's views follow its length).
 */
export class ThreadedConvSplitter implements ConvSplitter {
  private readonly ctrl: Int32Array;
  private readonly arena: Arena;
  private request = 0;
  private broken = false;
  /** Calls split so far (tests read it). */
  splitCalls = 0;
  /** Calls with fewer multiply-adds stay on this thread (tests set 0 to split every call). */
  minMacs = MIN_SPLIT_MACS;

  constructor(ctrlSab: SharedArrayBuffer, arenaSab: SharedArrayBuffer) {
    this.ctrl = new Int32Array(ctrlSab);
    this.arena = { sab: arenaSab, view: new Float32Array(arenaSab) };
  }

  get ready(): boolean {
    return !this.broken && Atomics.load(this.ctrl, READY) === 1;
  }

  /** Room for n floats in the arena (false when the arena cannot grow that far). */
  private reserve(n: number): boolean {
    const bytes = n * 4;
    const sab = this.arena.sab as SharedArrayBuffer & { grow?: (n: number) => void; maxByteLength?: number; growable?: boolean };
    if (sab.byteLength >= bytes) return true;
    if (!sab.growable || sab.maxByteLength === undefined || bytes > sab.maxByteLength) return false;
    sab.grow!(Math.min(sab.maxByteLength, Math.max(bytes, sab.byteLength * 2)));
    return true;
  }

  private setPart(part: ConvPart): void {
    const c = this.ctrl;
    c[C0] = part.c0;
    c[C1] = part.c1;
    c[HAS_GATE] = part.gate !== null ? 1 : 0;
    c[GROUPS] = part.G;
  }

  private layout(lengths: [number, number, number, number]): boolean {
    const total = lengths[0] + lengths[1] + lengths[2] + lengths[3];
    if (!this.reserve(total)) return false;
    let at = 0;
    for (const [i, slot] of [X, Y, W, GATE].entries()) {
      this.ctrl[slot] = at;
      this.ctrl[slot + 1] = lengths[i];
      at += lengths[i];
    }
    return true;
  }

  /** Post the request and return its number. */
  private post(op: number): number {
    this.request += 1;
    Atomics.store(this.ctrl, OP, op);
    Atomics.store(this.ctrl, FAILED, 0);
    Atomics.store(this.ctrl, REQ, this.request);
    Atomics.notify(this.ctrl, REQ);
    this.splitCalls += 1;
    return this.request;
  }

  /** Block until the helper finished request r; false when it threw (the caller redoes its half). */
  private await(r: number): boolean {
    for (;;) {
      const done = Atomics.load(this.ctrl, DONE);
      if (done === r) break;
      if (Atomics.wait(this.ctrl, DONE, done, ANSWER_MS) === 'timed-out' && Atomics.load(this.ctrl, DONE) !== r) {
        this.broken = true;
        throw new Error(`the conv helper thread did not answer in ${ANSWER_MS / 1000} s`);
      }
    }
    if (Atomics.load(this.ctrl, FAILED) === 1) {
      this.broken = true; // one failure turns the splitting off for the rest of the process
      return false;
    }
    return true;
  }

  /**
   * Stage the helper's images [bm, B) of a split by images: `xLike` (x or dx, xs floats an
   * image) and `yLike` (y or dy, ys an image) from image bm on, all of w, and the images'
   * gate units; the geometry with the helper's image count. False when it does not fit.
   */
  private stageImages(xLike: Buf, xs: number, yLike: Buf, ys: number, w: Buf, g: ConvGeometry, part: ConvPart, bm: number): boolean {
    const nb = g.B - bm, gs = g.OH * g.OW * part.G;
    if (!this.layout([nb * xs, nb * ys, w.length, part.gate ? nb * gs : 0])) return false;
    const a = this.arena.view, c = this.ctrl;
    copyInto(a, c[X], xLike, bm * xs, g.B * xs);
    copyInto(a, c[Y], yLike, bm * ys, g.B * ys);
    copyInto(a, c[W], w, 0, w.length);
    if (part.gate) copyInto(a, c[GATE], part.gate, part.gateOffset + bm * gs, part.gateOffset + g.B * gs);
    writeGeometry(c, g, nb);
    this.setPart(part);
    return true;
  }

  /** Whether a call of this size is worth splitting with the helper. */
  private worthIt(g: ConvGeometry, part: ConvPart, ...bufs: (Buf | null)[]): boolean {
    return this.ready && g.B * g.OH * g.OW * g.K * (part.c1 - part.c0) * g.FH * g.FW >= this.minMacs && allF32(...bufs, part.gate);
  }

  forward(x: Buf, y: Buf, w: Buf, g: ConvGeometry, split: number, outStride: number, part: ConvPart): boolean {
    if (g.B < 2 || !this.worthIt(g, part, x, y, w)) return false;
    const bm = g.B >> 1; // this thread: images [0, bm); the helper: [bm, B)
    const xs = g.H * g.W * g.C, ys = g.OH * g.OW * outStride, nb = g.B - bm;
    if (!this.stageImages(x, xs, y, ys, w, g, part, bm)) return false;
    this.ctrl[SPLIT] = split;
    this.ctrl[OUT_STRIDE] = outStride;
    const r = this.post(OP_FORWARD);
    forwardHere(x, y, w, { ...g, B: bm }, split, outStride, part);
    if (this.await(r)) copyBack(y, bm * ys, this.arena.view, this.ctrl[Y], this.ctrl[Y] + nb * ys);
    // The helper threw: its images, untouched in y, are done here.
    else forwardHere(fromImage(x, bm, xs), fromImage(y, bm, ys), w, { ...g, B: nb }, split, outStride, afterImages(part, g, bm));
    return true;
  }

  inputGrad(dx: Buf, dy: Buf, w: Buf, g: ConvGeometry, part: ConvPart): boolean {
    if (g.B < 2 || !this.worthIt(g, part, dx, dy, w)) return false;
    const bm = g.B >> 1;
    const xs = g.H * g.W * g.C, ys = g.OH * g.OW * g.K, nb = g.B - bm;
    if (!this.stageImages(dx, xs, dy, ys, w, g, part, bm)) return false;
    const r = this.post(OP_INPUT_GRAD);
    inputGradHere(dx, dy, w, { ...g, B: bm }, part);
    if (this.await(r)) copyBack(dx, bm * xs, this.arena.view, this.ctrl[X], this.ctrl[X] + nb * xs);
    else inputGradHere(fromImage(dx, bm, xs), fromImage(dy, bm, ys), w, { ...g, B: nb }, afterImages(part, g, bm));
    return true;
  }

  filterGrad(x: Buf, dy: Buf, dw: Buf, g: ConvGeometry, part: ConvPart): boolean {
    const { B, H, W: Wd, C, OH, OW, K, FH, FW } = g;
    const n = part.c1 - part.c0;
    if (n < 2 || !this.worthIt(g, part, x, dy, dw)) return false;
    const cm = part.c0 + (n >> 1); // this thread: input channels [c0, cm); the helper: [cm, c1)
    const gs = B * OH * OW * part.G;
    if (!this.layout([B * H * Wd * C, B * OH * OW * K, dw.length, part.gate ? gs : 0])) return false;
    const a = this.arena.view, c = this.ctrl;
    copyInto(a, c[X], x, 0, B * H * Wd * C);
    copyInto(a, c[Y], dy, 0, B * OH * OW * K);
    copyInto(a, c[W], dw, 0, dw.length);
    if (part.gate) copyInto(a, c[GATE], part.gate, part.gateOffset, part.gateOffset + gs);
    writeGeometry(c, g, B);
    this.setPart({ ...part, c0: cm });
    const r = this.post(OP_FILTER_GRAD);
    filterGradHere(x, dy, dw, g, { ...part, c1: cm });
    if (this.await(r)) {
      // dw rows (f, c) for c in [cm, c1): one run of (c1 − cm)·K floats per filter tap.
      for (let f = 0; f < FH * FW; f++) {
        const from = (f * C + cm) * K;
        copyBack(dw, from, a, c[W] + from, c[W] + (f * C + part.c1) * K);
      }
    } else filterGradHere(x, dy, dw, g, { ...part, c0: cm });
    return true;
  }

  /** Ask the helper to return (its thread then ends). */
  stop(): void {
    this.broken = true;
    this.post(OP_STOP);
  }
}

/**
 * The helper's side: wait for requests and run each on the arena until told to stop.
 * Runs in the helper thread (it blocks that thread for good).
 */
export function serveConvRequests(ctrlSab: SharedArrayBuffer, arenaSab: SharedArrayBuffer): void {
  const ctrl = new Int32Array(ctrlSab);
  const a = new Float32Array(arenaSab); // follows the arena's length as it grows
  let seen = Atomics.load(ctrl, REQ);
  Atomics.store(ctrl, READY, 1);
  Atomics.notify(ctrl, READY);
  for (;;) {
    Atomics.wait(ctrl, REQ, seen);
    const r = Atomics.load(ctrl, REQ);
    if (r === seen) continue;
    seen = r;
    const op = Atomics.load(ctrl, OP);
    if (op === OP_STOP) return;
    try {
      const g = readGeometry(ctrl);
      const view = (slot: number) => a.subarray(ctrl[slot], ctrl[slot] + ctrl[slot + 1]);
      const part: ConvPart = { c0: ctrl[C0], c1: ctrl[C1], gate: ctrl[HAS_GATE] === 1 ? view(GATE) : null, gateOffset: 0, G: ctrl[GROUPS] };
      if (op === OP_FORWARD) forwardHere(view(X), view(Y), view(W), g, ctrl[SPLIT], ctrl[OUT_STRIDE], part);
      else if (op === OP_INPUT_GRAD) inputGradHere(view(X), view(Y), view(W), g, part);
      else if (op === OP_FILTER_GRAD) filterGradHere(view(X), view(Y), view(W), g, part);
    } catch {
      Atomics.store(ctrl, FAILED, 1);
    }
    Atomics.store(ctrl, DONE, r);
    Atomics.notify(ctrl, DONE);
  }
}
