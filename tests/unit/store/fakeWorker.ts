// A stand-in Worker for the controller tests: records what the page posts, and can fire the
// events a real one would (dispatchEvent).
import { vi } from 'vitest';

export class FakeWorker extends EventTarget {
  static last: FakeWorker | undefined;
  sent: unknown[] = [];
  /** The transfer list of each message, by message. */
  transferred = new Map<unknown, Transferable[]>();
  constructor() {
    super();
    FakeWorker.last = this;
  }
  postMessage(msg: unknown, transfer: Transferable[] = []) {
    this.sent.push(msg);
    this.transferred.set(msg, transfer);
  }
  terminate() {}
}

/** Put FakeWorker (and a page location) in place of the browser's for the controller. */
export function stubWorker(): void {
  vi.stubGlobal('Worker', FakeWorker);
  vi.stubGlobal('location', new URL('http://127.0.0.1/'));
}

/** stubWorker, and a history that takes the page's link (the controller writes it on every apply). */
export function stubPage(): void {
  stubWorker();
  vi.stubGlobal('history', { replaceState: () => {} });
}
