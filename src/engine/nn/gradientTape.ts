// tfjs keeps the tensors a gradient needs (each op's saved inputs and outputs) on the engine's
// tape and frees them only after a backward pass that completes. A forward or backward pass
// that throws (an out-of-memory kernel, the CLI's conv helper thread timing out) left them
// allocated for good: the next gradient starts a new tape without freeing the old one.
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  saved?: tf.Tensor[];
}
interface EngineTapeState {
  gradientDepth: number;
  activeTape: TapeNode[] | null;
}

/** Frees what an unfinished outermost tape saved (no-op while an outer gradient is still recording). */
export function freeUnfinishedTape(): void {
  const state = (tf.engine() as unknown as { state: EngineTapeState }).state;
  if (state.gradientDepth !== 0 || !state.activeTape) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** `take()` (a tf.grads / tf.variableGrads call); when it throws, the tape it left is freed before the error goes on. */
export function freeingTapeOnError<T>(take: () => T): T {
  try {
    return take();
  } catch (e) {
    freeUnfinishedTape();
    throw e;
  }
}
