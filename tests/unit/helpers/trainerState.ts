// A trainer's whole saved state as one comparable string (step, optimizer steps, the plugins'
// bookkeeping, every array bit for bit): two states are the same exactly when their texts are.
import type { Trainer } from '../../../src/engine/trainer';

export async function stateText(t: Trainer): Promise<string> {
  const st = await t.saveState();
  const arrays = Object.entries(st.arrays).map(([k, a]) => [k, Buffer.from(new Uint8Array((a as { data: ArrayBufferView }).data.buffer.slice(0))).toString('base64')]);
  return JSON.stringify({ step: st.step, optimizerSteps: st.optimizerSteps, plugins: st.plugins, arrays });
}
