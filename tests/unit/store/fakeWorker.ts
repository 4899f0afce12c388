// A stand-in Worker for the controller tests: records what the page posts, and can fire the
// events a real one would (dispatchEvent).
export class FakeWorker extends EventTarget {
  static last: FakeWorker | undefined;
  sent: unknown[] = [];
  constructor() {
    super();
    FakeWorker.last = this;
  }
  postMessage(msg: unknown) {
    this.sent.push(msg);
  }
  terminate() {}
}
