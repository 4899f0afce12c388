// Branch roles in each method's own words: BYOL's online and target networks; SimCLR's
// and SimSiam's two views of one network are 'first' and 'second', never 'target'. Every
// role maps to one of the sparsifier's two mask slots: the first/online branch the
// sparser, the second/target branch the denser.
import { describe, expect, it } from 'vitest';
import { maskSlot } from '../../../src/engine/plugin';
import { sslMethod } from '../../../src/engine/ssl/registry';
import { SSL_METHOD_NAMES } from '../../../src/engine/ssl/methodInfo';
import { count, run, syncp, tinyTrainer } from '../syncp/helpers';

describe('branch roles', () => {
  it('only a method with an EMA target network has a target role', () => {
    for (const name of SSL_METHOD_NAMES) {
      const m = sslMethod(name);
      const roles = new Set(m.branches().map((b) => b.role));
      expect(roles.has('target'), name).toBe(m.emaTarget);
      for (const b of m.branches()) expect(b.network === 'target', `${name} ${b.role}`).toBe(b.role === 'target');
    }
    expect(sslMethod('simclr').branches().map((b) => b.role)).toEqual(['first', 'second']);
    expect(sslMethod('simsiam').branches().map((b) => b.role)).toEqual(['first', 'second']);
  });

  it('maps to mask slots: first/online sparser, second/target denser', () => {
    expect([maskSlot('online'), maskSlot('first'), maskSlot('target'), maskSlot('second')]).toEqual(['online', 'online', 'target', 'target']);
  });

  it('SimCLR with SyncCP: the second branch computes with the denser mask', async () => {
    const t = tinyTrainer('syncp-unstructured', { ssl: { method: 'simclr' } }, 10);
    await run(t, 8);
    const p = syncp(t);
    const first = p.masks('first');
    const second = p.masks('second');
    for (const name of p.layerNames()) {
      const a = first[name].dataSync();
      const b = second[name].dataSync();
      expect(count(b), name).toBeGreaterThan(count(a));
      expect(Array.from(a)).toEqual(Array.from(p.masks('online')[name].dataSync()));
      expect(Array.from(b)).toEqual(Array.from(p.masks('target')[name].dataSync()));
    }
    t.dispose();
  });
});
