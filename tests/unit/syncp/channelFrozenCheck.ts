// The channel-pruning invariant of channelFrozen.test.ts, shared with its WebGPU twin
// (engine/webgpuChannelFrozen.test.ts): a pruned channel's BN γ/β and the next conv's
// weights reading it stay put between updates, kept channels train, no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { run, syncp, tinyTrainer } from './helpers';

export async function expectPrunedChannelsFrozen(): Promise<void> {
  const before = tf.memory().numTensors;
  // Updates at steps 2, 4 and 6 of 40, then none: the end state from step 7 on. (Few steps:
  // the WebGPU twin runs on Dawn in Node, ~2 s a step on SwiftShader.)
  const t = tinyTrainer('syncp-channel', { syncp: { schedule: { start: 0.05, end: 0.15, every: 0.05 } } }, 40);
  await run(t, 8);
  const mask = await syncp(t).exportMasks();
  const conv1 = mask.find((m) => m.name === 's1.b0.conv1')!;
  const [kh, kw, cin, cout] = conv1.shape;
  const kept = Array.from({ length: cout }, (_, o) => {
    for (let i = 0; i < kh * kw * cin; i++) if (conv1.online[i * cout + o]) return true;
    return false;
  });
  const pruned = kept.flatMap((k, o) => (k ? [] : [o]));
  const live = kept.flatMap((k, o) => (k ? [o] : []));
  expect(pruned.length, 'the preset prunes half the channels').toBe(cout / 2);
  const read = async () => ({
    gamma: Array.from(await t.online.vars['s1.b0.bn1.gamma'].data()),
    beta: Array.from(await t.online.vars['s1.b0.bn1.beta'].data()),
    conv2: Array.from(await t.online.vars['s1.b0.conv2'].data()),
  });
  const a = await read();
  await run(t, 3);
  const b = await read();
  const [c2h, c2w, c2in, c2out] = t.online.vars['s1.b0.conv2'].shape;
  for (const o of pruned) {
    expect(b.gamma[o], `γ of pruned channel ${o}`).toBe(a.gamma[o]);
    expect(b.beta[o], `β of pruned channel ${o}`).toBe(a.beta[o]);
    for (let p = 0; p < c2h * c2w; p++) for (let k = 0; k < c2out; k++) expect(b.conv2[(p * c2in + o) * c2out + k], `conv2 reading channel ${o}`).toBe(a.conv2[(p * c2in + o) * c2out + k]);
  }
  // The kept channels do train.
  expect(live.some((o) => b.gamma[o] !== a.gamma[o])).toBe(true);
  t.dispose();
  expect(tf.memory().numTensors).toBe(before);
}
