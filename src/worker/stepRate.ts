// Steps per second as the page shows it: wall time over the last few steps, so kNN passes
// and the yields between steps count, but only within one stretch of training. A pause, or
// the wait between two "+1 Step" clicks, is not a step's time.

export class StepRate {
  /** End times of the last steps of this stretch, after the stretch's first start. */
  private times: number[] = [];
  private stretch: number | undefined;
  private lastMs = 0;

  constructor(private readonly window: number) {}

  /**
   * A step that began at `begun` and ended at `ended` (ms), taking `ms` of its own. `stretch`:
   * the queue's running stretch it belongs to, undefined for a step taken alone; a new stretch
   * starts the window at its step's start. `warmUp`: the run's first step (compiling shaders,
   * first allocations): the window starts at its end, as a single step's figure it counts.
   */
  record(begun: number, ended: number, ms: number, stretch: number | undefined, warmUp = false): void {
    if (warmUp) this.times = [];
    else if (stretch === undefined || stretch !== this.stretch || this.times.length === 0) this.times = [begun];
    this.stretch = stretch;
    this.lastMs = ms;
    this.times.push(ended);
    if (this.times.length > this.window + 1) this.times.shift();
  }

  /** Steps/s over the window; 0 before any step. */
  perSecond(): number {
    const n = this.times.length;
    if (n < 2) return this.lastMs > 0 ? 1000 / this.lastMs : 0;
    const span = this.times[n - 1] - this.times[0];
    return span > 0 ? ((n - 1) * 1000) / span : this.lastMs > 0 ? 1000 / this.lastMs : 0;
  }
}
