// A training step that failed for a reason other than a divergence (out of memory in a
// regrowth pass, a readback that failed) and left the run whole: the trainer undid what the
// step had applied, so the run is as it was after step `kept` and can go on. The worker says
// so as a recoverable error (kind 'step-failed'), not as a stopped worker.

export class StepFailedError extends Error {
  constructor(
    /** The step that failed, numbered as rows are. */
    readonly step: number,
    /** The step the run is as it was after. */
    readonly kept: number,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StepFailedError';
  }
}
